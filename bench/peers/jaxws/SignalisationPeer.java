package esav.peer;

import com.sun.net.httpserver.HttpsExchange;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.sql.SQLException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.logging.Level;
import java.util.logging.Logger;
import javax.annotation.Resource;
import javax.jws.WebMethod;
import javax.jws.WebParam;
import javax.jws.WebResult;
import javax.jws.WebService;
import javax.jws.soap.SOAPBinding;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.xml.ws.WebServiceContext;
import org.w3c.dom.Element;

/**
 * {@code deposerSignalisation} of e-SAV v2, as a plain JAX-WS service would implement it: JAXB
 * reads the request, the form is validated against its XSD, the ticket is inserted and committed,
 * and the answer carries the reference, the deposit time and the state, as the gateway's does.
 *
 * <p>Document/literal, bare: the request and answer beans are the body's elements, so the RI needs
 * no generated wrapper classes (wsgen) on this JDK.
 */
@WebService(name = "signalisation", serviceName = "signalisation", portName = "signalisation",
        targetNamespace = SignalisationPeer.NS)
@SOAPBinding(parameterStyle = SOAPBinding.ParameterStyle.BARE)
public class SignalisationPeer {
    static final String NS = "urn:esav:signalisation:v2";
    static final String FIRST_STATE = "EN_DEPOT";
    /** The RI's message-context key of the JDK server's exchange (JAXWSProperties.HTTP_EXCHANGE). */
    private static final String HTTP_EXCHANGE = "com.sun.xml.ws.http.exchange";
    private static final Logger LOG = Logger.getLogger(SignalisationPeer.class.getName());

    @Resource
    private WebServiceContext context;

    private final Forms forms;
    private final TicketStore store;

    public SignalisationPeer() {
        this(null, null); // the RI's model builder may instantiate; published instances use the other one
    }

    SignalisationPeer(Forms forms, TicketStore store) {
        this.forms = forms;
        this.store = store;
    }

    @WebMethod(operationName = "deposerSignalisation", action = "deposerSignalisation")
    @WebResult(name = "deposerSignalisationResponse", targetNamespace = NS, partName = "deposerSignalisationResponse")
    public DeposerSignalisationResponse deposerSignalisation(
            @WebParam(name = "deposerSignalisation", targetNamespace = NS, partName = "deposerSignalisation")
                    DeposerSignalisation request)
            throws ErreurEsav {
        String operator = operator();
        if (request == null || request.identifiantPrestation == null || request.codeOffre == null
                || request.gravite == null || request.formulaire == null) {
            throw new ErreurEsav("REQUETE_INVALIDE", "Requête incomplète", "deposerSignalisation");
        }
        Formulaire formulaire = request.formulaire;
        if (formulaire.code == null || formulaire.version == null || formulaire.content.size() != 1) {
            throw new ErreurEsav("FORMULAIRE_INVALIDE", "Un formulaire, avec son code et sa version", "formulaire");
        }
        Element form = formulaire.content.get(0);
        forms.validate(formulaire.code, formulaire.version, form);
        String depositedAt = Instant.now().truncatedTo(ChronoUnit.MICROS).toString();
        String reference;
        try {
            reference = store.deposit(operator, request, forms.serialise(form), FIRST_STATE, depositedAt);
        } catch (SQLException error) {
            LOG.log(Level.SEVERE, "deposit not stored", error);
            throw new ErreurEsav("ERREUR_INTERNE", "Erreur interne", null);
        }
        DeposerSignalisationResponse answer = new DeposerSignalisationResponse();
        answer.referenceSignalisation = reference;
        answer.dateDepot = depositedAt;
        answer.etat = FIRST_STATE;
        return answer;
    }

    /** The operator is the CN of the client certificate that the TLS handshake verified. */
    private String operator() throws ErreurEsav {
        Object exchange = context.getMessageContext().get(HTTP_EXCHANGE);
        if (exchange instanceof HttpsExchange) {
            try {
                Certificate[] chain = ((HttpsExchange) exchange).getSSLSession().getPeerCertificates();
                String subject = ((X509Certificate) chain[0]).getSubjectX500Principal().getName();
                for (Rdn rdn : new LdapName(subject).getRdns()) {
                    if (rdn.getType().equalsIgnoreCase("CN")) {
                        return rdn.getValue().toString();
                    }
                }
            } catch (SSLPeerUnverifiedException | InvalidNameException error) {
                // falls through to the refusal
            }
        }
        throw new ErreurEsav("AUTHENTIFICATION", "Certificat client absent ou illisible", null);
    }
}
