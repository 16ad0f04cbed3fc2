<?php
// PHP 8 SoapClient client of the interoperability suite: one e-SAV operation, JSON on stdout.
//
// Usage: php client.php VERSION ENDPOINT WSDL CA CERT KEY FORM OPERATION [REFERENCE]
// VERSION v1 or v2; WSDL a file path or an https URL (fetched with the same TLS context);
// FORM the SIG_CUIVRE 1.0 form file; OPERATION deposit, state, detail (with REFERENCE) or fault
// (a deposit on an unknown prestation).

[, $version, $endpoint, $wsdl, $ca, $cert, $key, $formFile, $operation] = $argv;
$reference = $argv[9] ?? null;

// The same stream context carries the client certificate for the WSDL download and for the calls.
$context = stream_context_create(['ssl' => [
    'cafile' => $ca,
    'local_cert' => $cert,
    'local_pk' => $key,
    'verify_peer' => true,
    'verify_peer_name' => true,
]]);
$client = new SoapClient($wsdl, [
    'location' => $endpoint,
    'stream_context' => $context,
    'exceptions' => true,
    'cache_wsdl' => WSDL_CACHE_NONE,
    'connection_timeout' => 30,
]);

function text($value): ?string
{
    return $value === null ? null : (string) $value;
}

try {
    if ($operation === 'deposit' || $operation === 'fault') {
        $form = file_get_contents($formFile);
        $form = preg_replace('/^<\?xml[^>]*\?>\s*/', '', $form);   // the element only
        $r = $client->deposerSignalisation([
            'identifiantPrestation' => $operation === 'deposit' ? '0140000001' : '0149999999',
            'codeOffre' => 'CUIVRE_DEGROUPAGE',
            'gravite' => 'MAJEURE',
            // xs:any content is passed as raw XML under the key 'any'
            'formulaire' => ['code' => 'SIG_CUIVRE', 'version' => '1.0', 'any' => $form],
            'commentaire' => 'PHP SoapClient',
        ]);
        $result = ['reference' => text($r->referenceSignalisation), 'etat' => text($r->etat),
                   'dateDepot' => text($r->dateDepot)];
    } elseif ($operation === 'state') {
        $r = $client->consulterEtatSignalisation(['referenceSignalisation' => $reference]);
        $result = ['reference' => text($r->referenceSignalisation), 'etat' => text($r->etat),
                   'dateEtat' => text($r->dateEtat)];
    } elseif ($operation === 'detail') {
        $s = $client->consulterDetailSignalisation(['referenceSignalisation' => $reference])->signalisation;
        $form = $s->defautDeclare->formulaire;
        // The xs:any content comes back as a raw XML string in 'any' (parse it with DOM or
        // SimpleXML, from php-xml, in real code; a pattern keeps this client to php-soap alone).
        $codes = preg_match('#<(?:\w+:)?codeDefaut>([^<]*)<#', $form->any, $m) ? [$m[1]] : [];
        $result = [
            'reference' => text($s->referenceSignalisation),
            'etat' => text($s->etat),
            'prestation' => text($s->prestation->numero),
            'echeance' => text($s->gtr->echeance),
            'formulaire' => ['code' => text($form->code), 'version' => text($form->version),
                             'codeDefaut' => $codes ? text($codes[0]) : null],
        ];
    } else {
        fwrite(STDERR, "unknown operation $operation\n");
        exit(2);
    }
} catch (SoapFault $f) {
    $erreur = $f->detail->erreurEsav ?? null;
    $result = ['fault' => ['type' => 'SoapFault', 'code' => text($erreur->code ?? null),
                           'libelle' => text($erreur->libelle ?? null)]];
}
echo json_encode($result, JSON_UNESCAPED_UNICODE | JSON_UNESCAPED_SLASHES), "\n";
