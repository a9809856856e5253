package io.amiforge.imagefmt.ova;

import io.amiforge.imagefmt.format.ImageFormatException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilder;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.parsers.ParserConfigurationException;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;
import org.xml.sax.SAXException;

/**
 * The facts amiforge keeps from an OVF descriptor (DMTF DSP0243): the disks of its
 * {@code DiskSection}, each with its capacity and the file of the {@code References} section
 * that holds it; the guest operating system its {@code OperatingSystemSection} names; and the
 * descriptor amiforge writes for one stream-optimized VMDK disk. The XML is parsed with DTDs
 * and external entities refused (an OVA comes from anyone).
 */
final class OvfDescriptor {

    static final String OVF_NS = "http://schemas.dmtf.org/ovf/envelope/1";
    static final String STREAM_OPTIMIZED = "http://www.vmware.com/interfaces/specifications/vmdk.html#streamOptimized";
    private static final int MAX_BYTES = 4 << 20;
    private static final Pattern UNITS = Pattern.compile("byte\\s*\\*\\s*2\\^(\\d+)");

    /**
     * One disk of the descriptor.
     *
     * @param id the disk's ovf:diskId
     * @param file the archive member holding it (the referenced file's ovf:href)
     * @param capacity its guest size in bytes
     * @param format the ovf:format URI (stream-optimized VMDK for OVAs)
     */
    record Disk(String id, String file, long capacity, String format) {
    }

    private OvfDescriptor() {
    }

    /** The disks of the OVF text {@code xml} (from {@code name}, for errors), in document order. */
    static List<Disk> disks(byte[] xml, String name) {
        if (xml.length > MAX_BYTES) {
            throw ImageFormatException.corrupt(name, "OVF descriptor of " + xml.length + " bytes is larger than " + MAX_BYTES);
        }
        Document doc = parse(xml, name);
        Map<String, String> files = new HashMap<>();
        NodeList refs = doc.getElementsByTagNameNS(OVF_NS, "File");
        for (int i = 0; i < refs.getLength(); i++) {
            Element file = (Element) refs.item(i);
            files.put(file.getAttributeNS(OVF_NS, "id"), file.getAttributeNS(OVF_NS, "href"));
        }
        List<Disk> disks = new ArrayList<>();
        NodeList list = doc.getElementsByTagNameNS(OVF_NS, "Disk");
        for (int i = 0; i < list.getLength(); i++) {
            Element disk = (Element) list.item(i);
            String id = disk.getAttributeNS(OVF_NS, "diskId");
            String fileRef = disk.getAttributeNS(OVF_NS, "fileRef");
            String href = files.get(fileRef);
            if (href == null || href.isEmpty()) {
                throw ImageFormatException.corrupt(name, "OVF disk '%s' refers to file '%s', which the References section does not list"
                        .formatted(id, fileRef));
            }
            disks.add(new Disk(id, href, capacity(disk, name, id), disk.getAttributeNS(OVF_NS, "format")));
        }
        return disks;
    }

    /**
     * The guest operating system of the OVF text {@code xml}'s first {@code OperatingSystemSection}
     * (already checked by {@link #disks}): its description, VMware's {@code osType} and the CIM
     * id, those present, or null without such a section.
     */
    static String operatingSystem(byte[] xml, String name) {
        NodeList sections = parse(xml, name).getElementsByTagNameNS(OVF_NS, "OperatingSystemSection");
        if (sections.getLength() == 0) {
            return null;
        }
        Element section = (Element) sections.item(0);
        List<String> parts = new ArrayList<>();
        NodeList descriptions = section.getElementsByTagNameNS(OVF_NS, "Description");
        if (descriptions.getLength() > 0 && !descriptions.item(0).getTextContent().isBlank()) {
            parts.add(descriptions.item(0).getTextContent().strip());
        }
        for (int i = 0; i < section.getAttributes().getLength(); i++) {
            org.w3c.dom.Node attribute = section.getAttributes().item(i);
            if ("osType".equals(attribute.getLocalName()) && !attribute.getNodeValue().isBlank()) {
                parts.add("osType " + attribute.getNodeValue().strip());
            }
        }
        String id = section.getAttributeNS(OVF_NS, "id");
        if (!id.isBlank()) {
            parts.add("CIM id " + id.strip());
        }
        return parts.isEmpty() ? null : String.join(", ", parts);
    }

    private static long capacity(Element disk, String name, String id) {
        String value = disk.getAttributeNS(OVF_NS, "capacity").trim();
        String units = disk.getAttributeNS(OVF_NS, "capacityAllocationUnits").trim().toLowerCase(Locale.ROOT);
        int shift = 0;
        if (!units.isEmpty() && !units.equals("byte")) {
            Matcher m = UNITS.matcher(units);
            if (!m.matches() || Integer.parseInt(m.group(1)) > 50) {
                throw ImageFormatException.unsupported(name, "OVF disk '%s': capacity units '%s' are not 'byte' or 'byte * 2^N'"
                        .formatted(id, units));
            }
            shift = Integer.parseInt(m.group(1));
        }
        try {
            long bytes = Long.parseLong(value);
            if (bytes < 0 || bytes > (Long.MAX_VALUE >>> shift)) {
                throw new NumberFormatException(value);
            }
            return bytes << shift;
        } catch (NumberFormatException e) {
            throw ImageFormatException.corrupt(name, "OVF disk '%s': capacity '%s' is not a byte count".formatted(id, value));
        }
    }

    private static Document parse(byte[] xml, String name) {
        try {
            DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
            factory.setNamespaceAware(true);
            factory.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
            factory.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
            factory.setXIncludeAware(false);
            factory.setExpandEntityReferences(false);
            DocumentBuilder builder = factory.newDocumentBuilder();
            builder.setErrorHandler(null);
            return builder.parse(new ByteArrayInputStream(xml));
        } catch (ParserConfigurationException | SAXException | IOException e) {
            throw ImageFormatException.corrupt(name, "OVF descriptor is not well-formed XML: " + e.getMessage());
        }
    }

    /** The descriptor of a virtual system {@code name} with one stream-optimized disk in {@code vmdk}. */
    static String write(String name, String vmdk, long vmdkSize, long capacity) {
        String system = escape(name);
        return """
                <?xml version="1.0" encoding="UTF-8"?>
                <Envelope xmlns="http://schemas.dmtf.org/ovf/envelope/1" xmlns:ovf="http://schemas.dmtf.org/ovf/envelope/1" \
                xmlns:rasd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData" \
                xmlns:vssd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_VirtualSystemSettingData">
                  <References>
                    <File ovf:href="%s" ovf:id="file1" ovf:size="%d"/>
                  </References>
                  <DiskSection>
                    <Info>Virtual disk information</Info>
                    <Disk ovf:capacity="%d" ovf:capacityAllocationUnits="byte" ovf:diskId="vmdisk1" ovf:fileRef="file1" \
                ovf:format="%s"/>
                  </DiskSection>
                  <VirtualSystem ovf:id="%s">
                    <Info>A virtual machine written by amiforge</Info>
                    <Name>%s</Name>
                    <VirtualHardwareSection>
                      <Info>Virtual hardware requirements</Info>
                      <Item>
                        <rasd:AddressOnParent>0</rasd:AddressOnParent>
                        <rasd:ElementName>disk0</rasd:ElementName>
                        <rasd:HostResource>ovf:/disk/vmdisk1</rasd:HostResource>
                        <rasd:InstanceID>1</rasd:InstanceID>
                        <rasd:ResourceType>17</rasd:ResourceType>
                      </Item>
                    </VirtualHardwareSection>
                  </VirtualSystem>
                </Envelope>
                """.formatted(escape(vmdk), vmdkSize, capacity, STREAM_OPTIMIZED, system, system);
    }

    private static String escape(String text) {
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
