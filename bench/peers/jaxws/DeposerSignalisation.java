package esav.peer;

import javax.xml.bind.annotation.XmlAccessType;
import javax.xml.bind.annotation.XmlAccessorType;
import javax.xml.bind.annotation.XmlElement;
import javax.xml.bind.annotation.XmlType;

/** The request element {urn:esav:signalisation:v2}deposerSignalisation (attachments are not read). */
@XmlAccessorType(XmlAccessType.FIELD)
@XmlType(
        name = "deposerSignalisation",
        propOrder = {"referenceOperateur", "identifiantPrestation", "codeOffre", "gravite", "formulaire", "commentaire"})
public class DeposerSignalisation {
    public String referenceOperateur;

    @XmlElement(required = true)
    public String identifiantPrestation;

    @XmlElement(required = true)
    public String codeOffre;

    @XmlElement(required = true)
    public String gravite;

    @XmlElement(required = true)
    public Formulaire formulaire;

    public String commentaire;
}
