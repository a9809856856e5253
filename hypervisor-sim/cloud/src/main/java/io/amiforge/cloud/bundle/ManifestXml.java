package io.amiforge.cloud.bundle;

import io.amiforge.cloud.bundle.BundleManifest.BundlerInfo;
import io.amiforge.cloud.bundle.BundleManifest.Image;
import io.amiforge.cloud.bundle.BundleManifest.MachineConfiguration;
import io.amiforge.cloud.bundle.BundleManifest.Part;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilder;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.parsers.ParserConfigurationException;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.xml.sax.SAXException;
import org.xml.sax.SAXParseException;

/**
 * Writes and reads the manifest text. Writing reproduces what ec2-ami-tools (REXML) emits: an
 * XML declaration {@code <?xml version='1.0'?>}, no whitespace between elements, attributes in
 * single quotes, no trailing newline, optional elements left out when empty. Reading takes the
 * signed text out of the file exactly as ec2-ami-tools does (from the first
 * {@code <machine_configuration>} to the first {@code </machine_configuration>}, likewise for
 * {@code <image>}), parses those snippets for the fields, and checks that they are the very
 * elements the document holds, so what is verified is what is used.
 */
final class ManifestXml {

    /** Refuses larger manifests: 1 MiB holds several thousand parts (a 10 GiB image has ~1000). */
    static final int MAX_MANIFEST_BYTES = 16 << 20;
    /** Refuses part counts beyond what any real bundle has (10 TiB of 10 MiB parts). */
    static final int MAX_PARTS = 1 << 20;

    private ManifestXml() {
    }

    // ---------------------------------------------------------------- writing

    static String machineConfigurationXml(MachineConfiguration m) {
        StringBuilder s = new StringBuilder(256);
        s.append("<machine_configuration>");
        element(s, "architecture", m.architecture());
        if (!m.blockDeviceMapping().isEmpty()) {
            s.append("<block_device_mapping>");
            for (Map.Entry<String, String> e : m.blockDeviceMapping().entrySet()) {
                s.append("<mapping>");
                element(s, "virtual", e.getKey());
                element(s, "device", e.getValue());
                s.append("</mapping>");
            }
            s.append("</block_device_mapping>");
        }
        element(s, "kernel_id", m.kernelId());
        element(s, "ramdisk_id", m.ramdiskId());
        if (!m.productCodes().isEmpty()) {
            s.append("<product_codes>");
            for (String code : m.productCodes()) {
                element(s, "product_code", code);
            }
            s.append("</product_codes>");
        }
        return s.append("</machine_configuration>").toString();
    }

    static String imageXml(Image i) {
        StringBuilder s = new StringBuilder(512 + 160 * i.parts().size());
        s.append("<image>");
        element(s, "name", i.name());
        element(s, "user", i.user());
        element(s, "type", i.type());
        s.append("<digest algorithm='").append(attr(i.digestAlgorithm())).append("'>")
                .append(text(i.digest())).append("</digest>");
        element(s, "size", Long.toString(i.size()));
        element(s, "bundled_size", Long.toString(i.bundledSize()));
        s.append("<ec2_encrypted_key algorithm='").append(attr(i.cipherAlgorithm())).append("'>")
                .append(text(i.ec2EncryptedKey())).append("</ec2_encrypted_key>");
        s.append("<user_encrypted_key algorithm='").append(attr(i.cipherAlgorithm())).append("'>")
                .append(text(i.userEncryptedKey())).append("</user_encrypted_key>");
        element(s, "ec2_encrypted_iv", i.ec2EncryptedIv());
        element(s, "user_encrypted_iv", i.userEncryptedIv());
        s.append("<parts count='").append(i.parts().size()).append("'>");
        for (Part p : i.parts()) {
            s.append("<part index='").append(p.index()).append("'>");
            element(s, "filename", p.filename());
            s.append("<digest algorithm='").append(attr(i.digestAlgorithm())).append("'>")
                    .append(text(p.digest())).append("</digest>");
            s.append("</part>");
        }
        s.append("</parts>");
        return s.append("</image>").toString();
    }

    static String serialize(BundleManifest m) {
        StringBuilder s = new StringBuilder(1024 + m.signedText().length());
        s.append("<?xml version='1.0'?><manifest>");
        element(s, "version", m.version());
        s.append("<bundler>");
        element(s, "name", m.bundler().name());
        element(s, "version", m.bundler().version());
        element(s, "release", m.bundler().release());
        s.append("</bundler>");
        s.append(m.signedText());
        element(s, "signature", m.signature());
        return s.append("</manifest>").toString();
    }

    private static void element(StringBuilder s, String name, String value) {
        if (value == null) {
            return;
        }
        s.append('<').append(name).append('>').append(text(value)).append("</").append(name).append('>');
    }

    private static String text(String value) {
        return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }

    private static String attr(String value) {
        return text(value).replace("'", "&apos;");
    }

    // ---------------------------------------------------------------- reading

    static BundleManifest read(Path file) {
        byte[] bytes;
        try {
            long size = Files.size(file);
            if (size > MAX_MANIFEST_BYTES) {
                throw BundleException.invalid(BundleException.INVALID_MANIFEST, file + ": " + size
                        + " bytes is too large for a bundle manifest (limit " + MAX_MANIFEST_BYTES + ")");
            }
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new BundleException(BundleException.Kind.NOT_FOUND, "InvalidManifest.NotFound",
                    file + ": no such manifest file");
        } catch (IOException e) {
            throw BundleException.io(file.toString(), e);
        }
        return parse(bytes, file.toString());
    }

    /**
     * Parses manifest bytes. Checks: well-formed XML without a DOCTYPE, root {@code manifest},
     * version 2007-10-10, every mandatory element present and non-empty, sizes non-negative
     * decimal, digests 40 hex digits, parts count equal to the parts listed and indices 0..n-1
     * in order, part file names plain (no directory, not {@code .} or {@code ..}).
     */
    static BundleManifest parse(byte[] bytes, String source) {
        Document doc = parseXml(bytes, source, "the manifest");
        Element root = doc.getDocumentElement();
        if (!"manifest".equals(root.getTagName())) {
            throw bad(source, "root element is <" + root.getTagName() + ">, expected <manifest>");
        }
        String version = required(root, "version", source, "version");
        if (!BundleManifest.VERSION.equals(version)) {
            throw bad(source, "manifest version '" + version + "', expected '" + BundleManifest.VERSION + "'");
        }
        Element bundlerEl = child(root, "bundler");
        BundlerInfo bundler = bundlerEl == null ? new BundlerInfo(null, null, null)
                : new BundlerInfo(optional(bundlerEl, "name"), optional(bundlerEl, "version"),
                        optional(bundlerEl, "release"));
        String signature = required(root, "signature", source, "signature").strip();
        requireHex(signature, -1, source, "signature");

        // The signed text, located as ec2-ami-tools locates it.
        String all = new String(bytes, StandardCharsets.ISO_8859_1);
        String mcText = snippet(all, "machine_configuration");
        String imageText = snippet(all, "image");
        if (imageText == null) {
            throw bad(source, "element <image> missing or not closed (truncated manifest?)");
        }
        Element mcSigned = mcText == null ? null
                : parseXml(mcText.getBytes(StandardCharsets.ISO_8859_1), source, "<machine_configuration>")
                        .getDocumentElement();
        Element imageSigned = parseXml(imageText.getBytes(StandardCharsets.ISO_8859_1), source, "<image>")
                .getDocumentElement();
        sameElement(mcSigned, child(root, "machine_configuration"), source, "machine_configuration");
        sameElement(imageSigned, child(root, "image"), source, "image");

        MachineConfiguration machine = mcSigned == null ? MachineConfiguration.of(null) : machine(mcSigned, source);
        Image image = image(imageSigned, source);
        return new BundleManifest(version, bundler, machine, image, signature.toLowerCase(java.util.Locale.ROOT),
                (mcText == null ? "" : mcText) + imageText);
    }

    private static MachineConfiguration machine(Element mc, String source) {
        TreeMap<String, String> bdm = new TreeMap<>();
        Element mapping = child(mc, "block_device_mapping");
        if (mapping != null) {
            int index = 0;
            for (Element m : children(mapping, "mapping")) {
                String where = "machine_configuration/block_device_mapping/mapping[" + index++ + "]";
                bdm.put(required(m, "virtual", source, where + "/virtual"),
                        required(m, "device", source, where + "/device"));
            }
        }
        List<String> codes = new ArrayList<>();
        Element pc = child(mc, "product_codes");
        if (pc != null) {
            for (Element c : children(pc, "product_code")) {
                codes.add(c.getTextContent());
            }
        }
        return new MachineConfiguration(optional(mc, "architecture"), bdm, optional(mc, "kernel_id"),
                optional(mc, "ramdisk_id"), codes);
    }

    private static Image image(Element img, String source) {
        String name = required(img, "name", source, "image/name");
        String user = required(img, "user", source, "image/user");
        String type = optional(img, "type");
        Element digestEl = requiredElement(img, "digest", source, "image/digest");
        String digestAlgorithm = digestEl.getAttribute("algorithm");
        if (!"SHA1".equalsIgnoreCase(digestAlgorithm)) {
            throw bad(source, "image/digest algorithm '" + digestAlgorithm + "', expected 'SHA1'");
        }
        String digest = requireHex(text(digestEl, source, "image/digest"), 40, source, "image/digest");
        long size = number(required(img, "size", source, "image/size"), source, "image/size");
        long bundledSize = number(required(img, "bundled_size", source, "image/bundled_size"), source,
                "image/bundled_size");
        Element ec2KeyEl = requiredElement(img, "ec2_encrypted_key", source, "image/ec2_encrypted_key");
        String cipher = ec2KeyEl.getAttribute("algorithm");
        if (!"AES-128-CBC".equalsIgnoreCase(cipher)) {
            throw bad(source, "image/ec2_encrypted_key algorithm '" + cipher + "', expected 'AES-128-CBC'");
        }
        String ec2Key = requireHex(text(ec2KeyEl, source, "image/ec2_encrypted_key"), -1, source,
                "image/ec2_encrypted_key");
        String userKey = requireHex(required(img, "user_encrypted_key", source, "image/user_encrypted_key"), -1,
                source, "image/user_encrypted_key");
        String ec2Iv = requireHex(required(img, "ec2_encrypted_iv", source, "image/ec2_encrypted_iv"), -1, source,
                "image/ec2_encrypted_iv");
        String userIv = requireHex(required(img, "user_encrypted_iv", source, "image/user_encrypted_iv"), -1,
                source, "image/user_encrypted_iv");
        Element partsEl = requiredElement(img, "parts", source, "image/parts");
        String countText = partsEl.getAttribute("count");
        long count = number(countText, source, "image/parts/@count");
        if (count > MAX_PARTS) {
            throw bad(source, "image/parts/@count " + count + " exceeds the limit " + MAX_PARTS);
        }
        List<Element> partEls = children(partsEl, "part");
        if (partEls.size() != count) {
            throw bad(source, "image/parts/@count is " + count + " but " + partEls.size()
                    + " <part> elements are listed (truncated manifest?)");
        }
        if (count == 0) {
            throw bad(source, "image/parts lists no parts");
        }
        List<Part> parts = new ArrayList<>(partEls.size());
        for (int i = 0; i < partEls.size(); i++) {
            Element p = partEls.get(i);
            String where = "image/parts/part[" + i + "]";
            long index = number(p.getAttribute("index"), source, where + "/@index");
            if (index != i) {
                throw bad(source, where + " has index " + index + ", expected " + i);
            }
            String filename = required(p, "filename", source, where + "/filename");
            if (filename.contains("/") || filename.contains("\\") || filename.equals(".") || filename.equals("..")
                    || filename.indexOf('\0') >= 0) {
                throw bad(source, where + "/filename '" + filename + "' is not a plain file name");
            }
            String partDigest = requireHex(required(p, "digest", source, where + "/digest"), 40, source,
                    where + "/digest");
            parts.add(new Part(i, filename, partDigest));
        }
        return new Image(name, user, type, digestAlgorithm, digest, size, bundledSize, cipher, ec2Key, userKey, ec2Iv,
                userIv, parts);
    }

    /** The text from the first {@code <name>} to the end of the first {@code </name>}, as XMLUtil.get_xml. */
    static String snippet(String all, String name) {
        String start = "<" + name + ">";
        String end = "</" + name + ">";
        int from = all.indexOf(start);
        int to = all.indexOf(end);
        if (from < 0 || to < 0 || to < from) {
            return null;
        }
        return all.substring(from, to + end.length());
    }

    private static void sameElement(Element signed, Element inDocument, String source, String name) {
        if (signed == null && inDocument == null) {
            return;
        }
        if (signed == null || inDocument == null || !signed.isEqualNode(inDocument)) {
            throw bad(source, "the signed <" + name + "> text is not the manifest's own <" + name
                    + "> element (duplicated or hidden element?)");
        }
    }

    private static Document parseXml(byte[] bytes, String source, String what) {
        try {
            DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
            f.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
            f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
            f.setFeature("http://xml.org/sax/features/external-general-entities", false);
            f.setFeature("http://xml.org/sax/features/external-parameter-entities", false);
            f.setXIncludeAware(false);
            f.setExpandEntityReferences(false);
            f.setNamespaceAware(false);
            DocumentBuilder b = f.newDocumentBuilder();
            b.setErrorHandler(null);
            return b.parse(new ByteArrayInputStream(bytes));
        } catch (SAXParseException e) {
            throw bad(source, what + " is not well-formed XML at line " + e.getLineNumber() + " column "
                    + e.getColumnNumber() + ": " + e.getMessage() + " (truncated or damaged manifest?)");
        } catch (SAXException e) {
            throw bad(source, what + " is not well-formed XML: " + e.getMessage());
        } catch (ParserConfigurationException | IOException e) {
            throw new IllegalStateException("JDK XML parser unavailable", e);
        }
    }

    private static Element child(Element parent, String name) {
        for (Node n = parent.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element e && e.getTagName().equals(name)) {
                return e;
            }
        }
        return null;
    }

    private static List<Element> children(Element parent, String name) {
        List<Element> out = new ArrayList<>();
        for (Node n = parent.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element e && e.getTagName().equals(name)) {
                out.add(e);
            }
        }
        return out;
    }

    private static String optional(Element parent, String name) {
        Element e = child(parent, name);
        if (e == null) {
            return null;
        }
        String t = e.getTextContent().strip();
        return t.isEmpty() ? null : t;
    }

    private static Element requiredElement(Element parent, String name, String source, String path) {
        Element e = child(parent, name);
        if (e == null) {
            throw bad(source, "element <" + path + "> missing");
        }
        return e;
    }

    private static String required(Element parent, String name, String source, String path) {
        return text(requiredElement(parent, name, source, path), source, path);
    }

    private static String text(Element e, String source, String path) {
        String t = e.getTextContent().strip();
        if (t.isEmpty()) {
            throw bad(source, "element <" + path + "> is empty");
        }
        return t;
    }

    private static long number(String text, String source, String path) {
        if (text == null || text.isEmpty() || text.length() > 19 || !text.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw bad(source, path + " is '" + text + "', expected a non-negative decimal number");
        }
        return Long.parseLong(text);
    }

    private static String requireHex(String text, int length, String source, String path) {
        if ((length >= 0 && text.length() != length) || (text.length() & 1) != 0
                || !text.chars().allMatch(c -> Character.digit(c, 16) >= 0)) {
            throw bad(source, path + " is '" + abbreviate(text) + "', expected "
                    + (length >= 0 ? length + " hex digits" : "an even number of hex digits"));
        }
        return text.toLowerCase(java.util.Locale.ROOT);
    }

    private static String abbreviate(String s) {
        return s.length() <= 48 ? s : s.substring(0, 45) + "...";
    }

    private static BundleException bad(String source, String message) {
        return BundleException.invalid(BundleException.INVALID_MANIFEST, source + ": " + message);
    }
}
