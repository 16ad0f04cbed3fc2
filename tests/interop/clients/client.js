// node-soap (npm `soap`) client of the interoperability suite: one e-SAV operation, JSON on stdout.
//
// Usage: node client.js VERSION ENDPOINT WSDL CA CERT KEY FORM OPERATION [REFERENCE]
// VERSION v1 or v2; WSDL a file path or an https URL (fetched with the client certificate);
// FORM the SIG_CUIVRE 1.0 form file; OPERATION deposit, state, detail (with REFERENCE) or fault
// (a deposit on an unknown prestation).
"use strict";

const fs = require("fs");
const https = require("https");
const soap = require("soap");

const [version, endpoint, wsdl, ca, cert, key, formFile, operation, reference] = process.argv.slice(2);
const PRESTATION = "0140000001";
const UNKNOWN_PRESTATION = "0149999999";

function text(value) {
  if (value === undefined || value === null) return null;
  if (value instanceof Date) return value.toISOString();
  return String(value);
}

async function main() {
  const tls = { key: fs.readFileSync(key), cert: fs.readFileSync(cert), ca: fs.readFileSync(ca) };
  const options = { endpoint };
  if (/^https:/.test(wsdl)) {
    // The WSDL download needs the client certificate too.
    options.wsdl_options = { httpsAgent: new https.Agent(tls) };
  }
  const client = await soap.createClientAsync(wsdl, options);
  client.setSecurity(new soap.ClientSSLSecurity(tls.key, tls.cert, tls.ca));
  try {
    if (operation === "deposit" || operation === "fault") {
      // xs:any content is passed as raw XML with $xml; the attributes of formulaire with attributes.
      const form = fs.readFileSync(formFile, "utf8").replace(/^<\?xml[^>]*\?>\s*/, "");
      const [r] = await client.deposerSignalisationAsync({
        identifiantPrestation: operation === "deposit" ? PRESTATION : UNKNOWN_PRESTATION,
        codeOffre: "CUIVRE_DEGROUPAGE",
        gravite: "MAJEURE",
        formulaire: { attributes: { code: "SIG_CUIVRE", version: "1.0" }, $xml: form },
        commentaire: "node-soap",
      });
      return { reference: text(r.referenceSignalisation), etat: text(r.etat), dateDepot: text(r.dateDepot) };
    }
    if (operation === "state") {
      const [r] = await client.consulterEtatSignalisationAsync({ referenceSignalisation: reference });
      return { reference: text(r.referenceSignalisation), etat: text(r.etat), dateEtat: text(r.dateEtat) };
    }
    if (operation === "detail") {
      const [r] = await client.consulterDetailSignalisationAsync({ referenceSignalisation: reference });
      const s = r.signalisation;
      const form = s.defautDeclare.formulaire;
      return {
        reference: text(s.referenceSignalisation),
        etat: text(s.etat),
        prestation: text(s.prestation.numero),
        echeance: text(s.gtr.echeance),
        // The xs:any content is parsed like any element, under its local name.
        formulaire: {
          code: text(form.attributes && form.attributes.code),
          version: text(form.attributes && form.attributes.version),
          codeDefaut: text(form.signalisationCuivre && form.signalisationCuivre.defaut.codeDefaut),
        },
      };
    }
    throw new Error(`unknown operation ${operation}`);
  } catch (e) {
    const fault = e.root && e.root.Envelope && e.root.Envelope.Body && e.root.Envelope.Body.Fault;
    if (!fault) throw e;
    const erreur = fault.detail && fault.detail.erreurEsav;
    return { fault: { type: "soap fault", code: text(erreur && erreur.code), libelle: text(erreur && erreur.libelle) } };
  }
}

main().then(
  (result) => console.log(JSON.stringify(result)),
  (error) => {
    console.error(error && error.stack ? error.stack : error);
    process.exit(2);
  },
);
