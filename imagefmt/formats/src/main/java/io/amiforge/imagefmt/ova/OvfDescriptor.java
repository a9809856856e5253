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

    /**
     * What a descriptor says about its appliance.
     *
     * @param name the first virtual system's {@code Name} (or its ovf:id; null without either)
     * @param operatingSystem see {@link #operatingSystem}
     * @param cpus the virtual CPUs of its hardware section (an Item of ResourceType 3), or null
     * @param memoryBytes its memory (an Item of ResourceType 4, with its AllocationUnits), or null
     * @param disks the disks of the DiskSection, in document order
     */
    record Facts(String name, String operatingSystem, Integer cpus, Long memoryBytes, List<Disk> disks) {
    }

    private OvfDescriptor() {
    }

    /**
     * The facts of the OVF text {@code xml} (from {@code name}, for errors). Refused by name: a
     * disk whose fileRef the References section does not list, two files or two disks with one
     * id, two disks in one file, a capacity or a hardware quantity that is not a count.
     */
    static Facts read(byte[] xml, String name) {
        if (xml.length > MAX_BYTES) {
            throw ImageFormatException.corrupt(name, "OVF descriptor of " + xml.length + " bytes is larger than " + MAX_BYTES);
        }
        Document doc = parse(xml, name);
        Map<String, String> files = new HashMap<>();
        NodeList refs = doc.getElementsByTagNameNS(OVF_NS, "File");
        for (int i = 0; i < refs.getLength(); i++) {
            Element file = (Element) refs.item(i);
            String id = file.getAttributeNS(OVF_NS, "id");
            if (files.put(id, file.getAttributeNS(OVF_NS, "href")) != null) {
                throw ImageFormatException.corrupt(name, "OVF References list file id '" + id + "' twice");
            }
        }
        List<Disk> disks = new ArrayList<>();
        Map<String, String> diskOfFile = new HashMap<>();
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
            if (disks.stream().anyMatch(d -> d.id().equals(id))) {
                throw ImageFormatException.corrupt(name, "OVF DiskSection lists disk id '" + id + "' twice");
            }
            String other = diskOfFile.putIfAbsent(href, id);
            if (other != null) {
                throw ImageFormatException.corrupt(name, "OVF disks '%s' and '%s' are both in file '%s'".formatted(other, id, href));
            }
            disks.add(new Disk(id, href, capacity(disk, name, id), disk.getAttributeNS(OVF_NS, "format")));
        }
        Element system = first(doc.getDocumentElement(), "VirtualSystem");
        String systemName = null;
        if (system != null) {
            String given = property(system, "Name");
            systemName = given != null && !given.isEmpty() ? given
                    : system.getAttributeNS(OVF_NS, "id").isBlank() ? null : system.getAttributeNS(OVF_NS, "id").strip();
        }
        Long cpus = quantity(doc, name, 3, "CPU count");
        return new Facts(systemName, operatingSystem(doc), cpus == null ? null : Math.toIntExact(Math.min(cpus, Integer.MAX_VALUE)),
                quantity(doc, name, 4, "memory"), List.copyOf(disks));
    }

    /** The first element named {@code local} (any namespace) below {@code parent}, or null. */
    private static Element first(Element parent, String local) {
        NodeList found = parent.getElementsByTagNameNS("*", local);
        return found.getLength() == 0 ? null : (Element) found.item(0);
    }

    /** The text of {@code item}'s child named {@code local} (the rasd: properties), or null. */
    private static String property(Element item, String local) {
        for (org.w3c.dom.Node child = item.getFirstChild(); child != null; child = child.getNextSibling()) {
            if (child instanceof Element e && local.equals(e.getLocalName())) {
                return e.getTextContent().strip();
            }
        }
        return null;
    }

    /**
     * The VirtualQuantity of the first hardware Item of {@code resourceType} (3: CPUs, in
     * units; 4: memory, in bytes from its AllocationUnits, MegaBytes when none), or null.
     */
    private static Long quantity(Document doc, String name, int resourceType, String what) {
        NodeList items = doc.getElementsByTagNameNS("*", "Item");
        for (int i = 0; i < items.getLength(); i++) {
            Element item = (Element) items.item(i);
            if (!String.valueOf(resourceType).equals(property(item, "ResourceType"))) {
                continue;
            }
            String value = property(item, "VirtualQuantity");
            if (value == null) {
                return null;
            }
            String units = property(item, "AllocationUnits");
            int shift = 0;
            if (resourceType == 4) {
                shift = units == null || units.equalsIgnoreCase("MegaBytes") || units.equalsIgnoreCase("MB") ? 20
                        : units.equalsIgnoreCase("GigaBytes") || units.equalsIgnoreCase("GB") ? 30
                        : unitsShift(units.toLowerCase(Locale.ROOT), name, "hardware item " + what);
            }
            try {
                long n = Long.parseLong(value);
                if (n < 0 || n > (Long.MAX_VALUE >>> shift)) {
                    throw new NumberFormatException(value);
                }
                return n << shift;
            } catch (NumberFormatException e) {
                throw ImageFormatException.corrupt(name, "OVF hardware item %s: VirtualQuantity '%s' is not a count".formatted(what, value));
            }
        }
        return null;
    }

    /** N of units {@code byte * 2^N} ({@code byte} is 0), refused by name otherwise. */
    private static int unitsShift(String units, String name, String what) {
        if (units.isEmpty() || units.equals("byte")) {
            return 0;
        }
        Matcher m = UNITS.matcher(units);
        if (!m.matches() || Integer.parseInt(m.group(1)) > 50) {
            throw ImageFormatException.unsupported(name, "OVF %s: units '%s' are not 'byte' or 'byte * 2^N'".formatted(what, units));
        }
        return Integer.parseInt(m.group(1));
    }

    /**
     * The guest operating system of the first {@code OperatingSystemSection}: its description,
     * VMware's {@code osType} and the CIM id, those present, or null without such a section.
     */
    private static String operatingSystem(Document doc) {
        NodeList sections = doc.getElementsByTagNameNS(OVF_NS, "OperatingSystemSection");
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
        int shift = unitsShift(units, name, "disk '" + id + "': capacity");
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

    /** One disk file of a descriptor being written: the archive member, its size, the guest capacity. */
    record DiskFile(String member, long fileSize, long capacity) {
    }

    /** The descriptor of a virtual system {@code name} with one stream-optimized disk in {@code vmdk}. */
    static String write(String name, String vmdk, long vmdkSize, long capacity) {
        return write(name, List.of(new DiskFile(vmdk, vmdkSize, capacity)));
    }

    /**
     * The descriptor of a virtual system {@code name} whose stream-optimized disks are
     * {@code disks}, in order (disk N is {@code vmdiskN} in file {@code fileN}, on address N-1 of
     * the disk controller; the first is the boot disk).
     */
    static String write(String name, List<DiskFile> disks) {
        String system = escape(name);
        StringBuilder files = new StringBuilder();
        StringBuilder diskSection = new StringBuilder();
        StringBuilder items = new StringBuilder();
        for (int i = 0; i < disks.size(); i++) {
            DiskFile disk = disks.get(i);
            int n = i + 1;
            files.append("    <File ovf:href=\"%s\" ovf:id=\"file%d\" ovf:size=\"%d\"/>\n".formatted(escape(disk.member()), n,
                    disk.fileSize()));
            diskSection.append(("    <Disk ovf:capacity=\"%d\" ovf:capacityAllocationUnits=\"byte\" ovf:diskId=\"vmdisk%d\""
                    + " ovf:fileRef=\"file%d\" ovf:format=\"%s\"/>\n").formatted(disk.capacity(), n, n, STREAM_OPTIMIZED));
            items.append("""
                          <Item>
                            <rasd:AddressOnParent>%d</rasd:AddressOnParent>
                            <rasd:ElementName>disk%d</rasd:ElementName>
                            <rasd:HostResource>ovf:/disk/vmdisk%d</rasd:HostResource>
                            <rasd:InstanceID>%d</rasd:InstanceID>
                            <rasd:ResourceType>17</rasd:ResourceType>
                          </Item>
                    """.formatted(i, i, n, n));
        }
        return """
                <?xml version="1.0" encoding="UTF-8"?>
                <Envelope xmlns="http://schemas.dmtf.org/ovf/envelope/1" xmlns:ovf="http://schemas.dmtf.org/ovf/envelope/1" \
                xmlns:rasd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData" \
                xmlns:vssd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_VirtualSystemSettingData">
                  <References>
                %s  </References>
                  <DiskSection>
                    <Info>Virtual disk information</Info>
                %s  </DiskSection>
                  <VirtualSystem ovf:id="%s">
                    <Info>A virtual machine written by amiforge</Info>
                    <Name>%s</Name>
                    <VirtualHardwareSection>
                      <Info>Virtual hardware requirements</Info>
                %s    </VirtualHardwareSection>
                  </VirtualSystem>
                </Envelope>
                """.formatted(files, diskSection, system, system, items);
    }

    private static String escape(String text) {
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
