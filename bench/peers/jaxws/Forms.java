package esav.peer;

import java.io.IOException;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import javax.xml.XMLConstants;
import javax.xml.transform.OutputKeys;
import javax.xml.transform.Transformer;
import javax.xml.transform.TransformerException;
import javax.xml.transform.TransformerFactory;
import javax.xml.transform.dom.DOMSource;
import javax.xml.transform.stream.StreamResult;
import javax.xml.validation.Schema;
import javax.xml.validation.SchemaFactory;
import javax.xml.validation.Validator;
import org.w3c.dom.Element;
import org.xml.sax.SAXException;
import org.xml.sax.SAXParseException;

/**
 * The catalogue's forms: each CODE/VERSION.xsd compiled once into a thread-safe {@link Schema};
 * validators and serialisers are not thread-safe, so each pool thread keeps its own.
 */
final class Forms {
    private final Path catalogue;
    private final Map<String, Schema> schemas = new ConcurrentHashMap<>();
    private final ThreadLocal<Map<String, Validator>> validators = ThreadLocal.withInitial(HashMap::new);
    private final ThreadLocal<Transformer> serialisers = ThreadLocal.withInitial(Forms::newSerialiser);

    Forms(Path catalogue) {
        this.catalogue = catalogue;
    }

    /** Validates {@code form} against the XSD of {@code code} version {@code version}. */
    void validate(String code, String version, Element form) throws ErreurEsav {
        String key = code + "/" + version;
        Validator validator = validators.get().get(key);
        if (validator == null) {
            validator = schema(code, version).newValidator();
            validators.get().put(key, validator);
        }
        try {
            validator.validate(new DOMSource(form));
        } catch (SAXParseException error) {
            throw new ErreurEsav("FORMULAIRE_INVALIDE", error.getMessage(), "formulaire");
        } catch (SAXException | IOException error) {
            throw new ErreurEsav("FORMULAIRE_INVALIDE", String.valueOf(error.getMessage()), "formulaire");
        }
    }

    /** The form as XML text, as it is stored. */
    String serialise(Element form) {
        StringWriter out = new StringWriter(2048);
        try {
            serialisers.get().transform(new DOMSource(form), new StreamResult(out));
        } catch (TransformerException error) {
            throw new IllegalStateException(error);
        }
        return out.toString();
    }

    private Schema schema(String code, String version) throws ErreurEsav {
        // Only names of the catalogue's shape reach the file system.
        if (!code.matches("[A-Z][A-Z0-9_]{0,39}") || !version.matches("[0-9]{1,3}\\.[0-9]{1,3}")) {
            throw new ErreurEsav("FORMULAIRE_INCONNU", "Formulaire inconnu : " + code + " " + version, "formulaire");
        }
        Schema known = schemas.get(code + "/" + version);
        if (known != null) {
            return known;
        }
        Path file = catalogue.resolve(code).resolve(version + ".xsd");
        if (!Files.isRegularFile(file)) {
            throw new ErreurEsav("FORMULAIRE_INCONNU", "Formulaire inconnu : " + code + " " + version, "formulaire");
        }
        try {
            SchemaFactory factory = SchemaFactory.newInstance(XMLConstants.W3C_XML_SCHEMA_NS_URI);
            factory.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
            factory.setProperty(XMLConstants.ACCESS_EXTERNAL_DTD, "");
            factory.setProperty(XMLConstants.ACCESS_EXTERNAL_SCHEMA, "file");
            Schema schema = factory.newSchema(file.toFile());
            schemas.put(code + "/" + version, schema);
            return schema;
        } catch (SAXException error) {
            throw new IllegalStateException("cannot compile " + file + ": " + error.getMessage(), error);
        }
    }

    private static Transformer newSerialiser() {
        try {
            Transformer transformer = TransformerFactory.newInstance().newTransformer();
            transformer.setOutputProperty(OutputKeys.OMIT_XML_DECLARATION, "yes");
            transformer.setOutputProperty(OutputKeys.ENCODING, "UTF-8");
            return transformer;
        } catch (javax.xml.transform.TransformerConfigurationException error) {
            throw new IllegalStateException(error);
        }
    }
}
