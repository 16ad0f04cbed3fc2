package esav.peer;

import javax.xml.bind.annotation.XmlAccessType;
import javax.xml.bind.annotation.XmlAccessorType;
import javax.xml.bind.annotation.XmlElement;
import javax.xml.bind.annotation.XmlType;

/** The answer, shaped as the gateway's: the ticket's reference, its deposit time and its state. */
@XmlAccessorType(XmlAccessType.FIELD)
@XmlType(name = "deposerSignalisationResponse", propOrder = {"referenceSignalisation", "dateDepot", "etat"})
public class DeposerSignalisationResponse {
    @XmlElement(required = true)
    public String referenceSignalisation;

    @XmlElement(required = true)
    public String dateDepot; // xs:dateTime, written as an ISO-8601 instant

    @XmlElement(required = true)
    public String etat;
}
