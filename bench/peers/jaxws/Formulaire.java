package esav.peer;

import java.util.ArrayList;
import java.util.List;
import javax.xml.bind.annotation.XmlAccessType;
import javax.xml.bind.annotation.XmlAccessorType;
import javax.xml.bind.annotation.XmlAnyElement;
import javax.xml.bind.annotation.XmlAttribute;
import javax.xml.bind.annotation.XmlType;
import org.w3c.dom.Element;

/** The form envelope: its code and version, and the form itself kept as a DOM element (xs:any). */
@XmlAccessorType(XmlAccessType.FIELD)
@XmlType(name = "formulaire")
public class Formulaire {
    @XmlAttribute(required = true)
    public String code;

    @XmlAttribute(required = true)
    public String version;

    @XmlAnyElement
    public List<Element> content = new ArrayList<>();
}
