package esav.peer;

import javax.xml.bind.annotation.XmlAccessType;
import javax.xml.bind.annotation.XmlAccessorType;
import javax.xml.bind.annotation.XmlElement;
import javax.xml.bind.annotation.XmlType;
import javax.xml.ws.WebFault;

/** A typed fault whose detail is {urn:esav:signalisation:v2}erreurEsav, as the gateway's faults. */
@WebFault(name = "erreurEsav", targetNamespace = "urn:esav:signalisation:v2")
public class ErreurEsav extends Exception {
    private final Detail faultInfo;

    public ErreurEsav(String code, String libelle, String chemin) {
        super(libelle);
        faultInfo = new Detail();
        faultInfo.code = code;
        faultInfo.libelle = libelle;
        faultInfo.chemin = chemin;
    }

    public Detail getFaultInfo() {
        return faultInfo;
    }

    /** The fault's detail element. */
    @XmlAccessorType(XmlAccessType.FIELD)
    @XmlType(name = "erreurEsav", propOrder = {"code", "libelle", "chemin"})
    public static class Detail {
        @XmlElement(required = true)
        public String code;

        @XmlElement(required = true)
        public String libelle;

        public String chemin;
    }
}
