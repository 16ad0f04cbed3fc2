package esav.peer;

import com.sun.net.httpserver.HttpContext;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsParameters;
import com.sun.net.httpserver.HttpsServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.TrustManagerFactory;
import javax.xml.ws.Endpoint;

/**
 * Serves {@link SignalisationPeer} at /esav/v2/signalisation on the JDK's HttpsServer, with mutual
 * TLS from the demo PKI (PEM files, loaded into in-memory keystores here) and a fixed pool of
 * worker threads.
 *
 * <p>Usage: {@code java esav.peer.PeerServer --port P --pki DIR --forms DIR --db FILE [--threads 32]}
 * where DIR holds ca.pem, server.pem and server.key (PKCS#8) as {@code esav servir --demo} leaves
 * them, and --forms is the catalogue's forms folder (CODE/VERSION.xsd).
 *
 * <p>The JDK server keeps a pool thread for each connection that is still handshaking, until its
 * first request: the pool must be at least as large as the number of concurrent connections.
 */
public final class PeerServer {
    static final String PATH = "/esav/v2/signalisation";
    private static final char[] PASSWORD = "peer".toCharArray(); // in-memory keystore only

    private PeerServer() {}

    public static void main(String[] argv) throws Exception {
        Map<String, String> args = arguments(argv);
        int port = Integer.parseInt(required(args, "port"));
        Path pki = Path.of(required(args, "pki"));
        Path forms = Path.of(required(args, "forms"));
        Path db = Path.of(required(args, "db"));
        int threads = Integer.parseInt(args.getOrDefault("threads", "32"));
        String host = args.getOrDefault("host", "127.0.0.1");

        TicketStore store = new TicketStore(db);
        SSLContext tls = tls(pki);
        HttpsServer server = HttpsServer.create(new InetSocketAddress(host, port), 1024);
        server.setHttpsConfigurator(new HttpsConfigurator(tls) {
            @Override
            public void configure(HttpsParameters parameters) {
                SSLParameters ssl = getSSLContext().getDefaultSSLParameters();
                ssl.setNeedClientAuth(true);
                parameters.setSSLParameters(ssl);
            }
        });
        AtomicInteger counter = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(threads, task -> {
            Thread thread = new Thread(task, "peer-" + counter.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        });
        server.setExecutor(pool);
        HttpContext context = server.createContext(PATH);
        Endpoint endpoint = Endpoint.create(new SignalisationPeer(new Forms(forms), store));
        endpoint.publish(context);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.stop(0);
            pool.shutdownNow();
            try {
                store.close();
            } catch (Exception error) {
                // exiting anyway
            }
        }));
        server.start();
        System.out.println("JAX-WS peer listening on https://" + host + ":" + port + PATH + " with " + threads
                + " threads, Java " + Runtime.version() + ", SQLite " + db + " (" + store.settings() + ")");
    }

    /** Server key and chain, and the CA that client certificates must chain to. */
    static SSLContext tls(Path pki) throws IOException, GeneralSecurityException {
        CertificateFactory x509 = CertificateFactory.getInstance("X.509");
        List<Certificate> chain = certificates(x509, pki.resolve("server.pem"));
        PrivateKey key = privateKey(pki.resolve("server.key"), chain.get(0).getPublicKey().getAlgorithm());
        KeyStore keys = KeyStore.getInstance("PKCS12");
        keys.load(null, null);
        keys.setKeyEntry("server", key, PASSWORD, chain.toArray(new Certificate[0]));
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(keys, PASSWORD);
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        int index = 0;
        for (Certificate ca : certificates(x509, pki.resolve("ca.pem"))) {
            trust.setCertificateEntry("ca" + index++, ca);
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
        return context;
    }

    private static List<Certificate> certificates(CertificateFactory x509, Path pem)
            throws IOException, GeneralSecurityException {
        try (InputStream in = Files.newInputStream(pem)) {
            List<Certificate> found = new ArrayList<>(x509.generateCertificates(in));
            if (found.isEmpty()) {
                throw new GeneralSecurityException("no certificate in " + pem);
            }
            return found;
        }
    }

    private static PrivateKey privateKey(Path pem, String algorithm) throws IOException, GeneralSecurityException {
        String text = Files.readString(pem);
        if (!text.contains("-----BEGIN PRIVATE KEY-----")) {
            throw new GeneralSecurityException(pem + ": an unencrypted PKCS#8 key is expected (BEGIN PRIVATE KEY)");
        }
        String base64 = text.replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
        return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(Base64.getDecoder().decode(base64)));
    }

    private static Map<String, String> arguments(String[] argv) {
        Map<String, String> args = new HashMap<>();
        for (int i = 0; i + 1 < argv.length; i += 2) {
            if (!argv[i].startsWith("--")) {
                throw new IllegalArgumentException("unexpected argument " + argv[i]);
            }
            args.put(argv[i].substring(2), argv[i + 1]);
        }
        return args;
    }

    private static String required(Map<String, String> args, String name) {
        String value = args.get(name);
        if (value == null) {
            throw new IllegalArgumentException("--" + name + " is required");
        }
        return value;
    }
}
