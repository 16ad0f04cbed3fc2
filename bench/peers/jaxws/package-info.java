/**
 * The reference peer of the benchmark: what an operator's provider would deploy instead of the
 * gateway, a JAX-WS RI service on the JDK's HTTPS server (see bench/README.md, "Reference peer").
 * Every element of the contract is qualified in the e-SAV v2 namespace, as in the published WSDL.
 */
@XmlSchema(namespace = "urn:esav:signalisation:v2", elementFormDefault = XmlNsForm.QUALIFIED)
package esav.peer;

import javax.xml.bind.annotation.XmlNsForm;
import javax.xml.bind.annotation.XmlSchema;
