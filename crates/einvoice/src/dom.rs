//! A small, strict XML tree built from quick-xml events, used by the invoice reader and by
//! canonicalisation. It keeps qualified names and namespace declarations exactly as written
//! (C14N needs the source prefixes), decoded text, comments, processing instructions and the
//! byte spans of elements (the signer inserts signatures by span).
//!
//! Untrusted input: DTDs are refused (no entity expansion beyond the five predefined ones),
//! nesting depth and node count are bounded, `]]>` in text, undeclared prefixes, text or a
//! second element outside the root are errors.

use std::collections::BTreeMap;
use std::fmt;

use quick_xml::XmlVersion;
use quick_xml::escape::resolve_predefined_entity;
use quick_xml::events::Event;
use quick_xml::reader::Reader;

/// Nesting depth limit.
pub const MAX_DEPTH: usize = 128;
/// Node count limit (elements, texts, comments, PIs).
pub const MAX_NODES: usize = 4_000_000;

/// XML namespace of XML-DSig.
pub const DSIG_NS: &str = "http://www.w3.org/2000/09/xmldsig#";
const XML_NS: &str = "http://www.w3.org/XML/1998/namespace";

/// Error reading XML.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XmlError {
    /// Byte offset near the problem.
    pub offset: u64,
    /// What went wrong.
    pub message: String,
}

impl fmt::Display for XmlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "XML error at byte {}: {}", self.offset, self.message)
    }
}

impl std::error::Error for XmlError {}

/// Node index into [`Document::nodes`].
pub type NodeId = usize;

/// An element.
#[derive(Debug, Clone)]
pub struct Element {
    /// Qualified name as written.
    pub name: String,
    /// Namespace declarations on this element: (`""` for default or the prefix, URI).
    pub ns_decls: Vec<(String, String)>,
    /// Other attributes: (qualified name, normalised value).
    pub attrs: Vec<(String, String)>,
    /// Children in document order.
    pub children: Vec<NodeId>,
    /// Parent element.
    pub parent: Option<NodeId>,
    /// Byte offset of `<`.
    pub start: usize,
    /// Byte offset just after the start tag (equals `end` for `<a/>`).
    pub content_start: usize,
    /// Byte offset of the end tag `</` (equals `end` for `<a/>`).
    pub content_end: usize,
    /// Byte offset just after the element.
    pub end: usize,
    /// Written as an empty-element tag `<a/>`.
    pub self_closing: bool,
}

impl Element {
    /// Prefix (`""` when none).
    pub fn prefix(&self) -> &str {
        self.name.split_once(':').map_or("", |(p, _)| p)
    }
    /// Local name.
    pub fn local(&self) -> &str {
        self.name.split_once(':').map_or(&self.name, |(_, l)| l)
    }
    /// Attribute value by qualified name.
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// A node.
#[derive(Debug, Clone)]
pub enum Node {
    /// Element.
    Element(Element),
    /// Character data (references and CDATA resolved, line ends normalised).
    Text(String),
    /// Comment content.
    Comment(String),
    /// Processing instruction: target and content.
    Pi(String, String),
}

/// A parsed document.
#[derive(Debug, Clone)]
pub struct Document {
    /// All nodes.
    pub nodes: Vec<Node>,
    /// Top-level nodes (comments and PIs around the root, and the root element).
    pub top: Vec<NodeId>,
    /// The root element.
    pub root: NodeId,
}

fn err(offset: u64, message: impl Into<String>) -> XmlError {
    XmlError {
        offset,
        message: message.into(),
    }
}

impl Document {
    /// Parse a whole document.
    pub fn parse(input: &str) -> Result<Document, XmlError> {
        let mut reader = Reader::from_str(input);
        let cfg = reader.config_mut();
        cfg.check_end_names = true;
        cfg.check_comments = true;
        cfg.expand_empty_elements = false;
        cfg.trim_text(false);
        let mut nodes: Vec<Node> = Vec::new();
        let mut top: Vec<NodeId> = Vec::new();
        let mut stack: Vec<NodeId> = Vec::new();
        let mut root: Option<NodeId> = None;
        // in-scope namespace prefixes per open element, for the undeclared-prefix check
        let mut scopes: Vec<BTreeMap<String, String>> = vec![BTreeMap::new()];
        let mut seen_decl = false;
        let mut first = true;
        loop {
            let before = reader.buffer_position();
            let ev = reader
                .read_event()
                .map_err(|e| err(reader.error_position(), e.to_string()))?;
            let after = reader.buffer_position();
            if nodes.len() > MAX_NODES {
                return Err(err(before, "too many nodes"));
            }
            let is_decl = matches!(ev, Event::Decl(_));
            if is_decl && (!first || seen_decl) {
                return Err(err(before, "XML declaration not at start"));
            }
            if !matches!(ev, Event::Text(_)) || is_decl {
                first = false;
            }
            let empty_event = matches!(ev, Event::Empty(_));
            match ev {
                Event::Decl(_) => seen_decl = true,
                Event::DocType(_) => return Err(err(before, "DTD not allowed")),
                Event::Start(e) | Event::Empty(e) => {
                    let self_closing = empty_event;
                    let name: String = e.name().as_ref().to_owned();
                    if name.is_empty() {
                        return Err(err(before, "empty element name"));
                    }
                    if stack.is_empty() && root.is_some() {
                        return Err(err(before, "more than one root element"));
                    }
                    if stack.len() >= MAX_DEPTH {
                        return Err(err(before, "nesting too deep"));
                    }
                    let mut ns_decls = Vec::new();
                    let mut attrs = Vec::new();
                    for a in e.attributes() {
                        let a = a.map_err(|x| err(before, x.to_string()))?;
                        let key: String = a.key.as_ref().to_owned();
                        let value = a
                            .normalized_value_with(
                                XmlVersion::Implicit1_0,
                                1,
                                resolve_predefined_entity,
                            )
                            .map_err(|x| err(before, x.to_string()))?
                            .into_owned();
                        check_chars(&value).map_err(|m| err(before, m))?;
                        if key == "xmlns" {
                            ns_decls.push((String::new(), value));
                        } else if let Some(p) = key.strip_prefix("xmlns:") {
                            if p.is_empty() || value.is_empty() {
                                return Err(err(before, "bad namespace declaration"));
                            }
                            ns_decls.push((p.to_owned(), value));
                        } else {
                            attrs.push((key, value));
                        }
                    }
                    let mut scope = scopes.last().cloned().unwrap_or_default();
                    for (p, u) in &ns_decls {
                        scope.insert(p.clone(), u.clone());
                    }
                    let check_prefix = |q: &str| -> Result<(), XmlError> {
                        if let Some((p, l)) = q.split_once(':') {
                            if p.is_empty() || l.is_empty() || l.contains(':') {
                                return Err(err(before, format!("bad qualified name {q}")));
                            }
                            if p != "xml" && !scope.contains_key(p) {
                                return Err(err(before, format!("undeclared prefix {p}")));
                            }
                        }
                        Ok(())
                    };
                    check_prefix(&name)?;
                    for (k, _) in &attrs {
                        check_prefix(k)?;
                    }
                    let id = nodes.len();
                    let parent = stack.last().copied();
                    nodes.push(Node::Element(Element {
                        name,
                        ns_decls,
                        attrs,
                        children: Vec::new(),
                        parent,
                        start: before as usize,
                        content_start: after as usize,
                        content_end: after as usize,
                        end: after as usize,
                        self_closing,
                    }));
                    match parent {
                        Some(p) => push_child(&mut nodes, p, id),
                        None => {
                            root = Some(id);
                            top.push(id);
                        }
                    }
                    if !self_closing {
                        stack.push(id);
                        scopes.push(scope);
                    }
                }
                Event::End(_) => {
                    let id = stack
                        .pop()
                        .ok_or_else(|| err(before, "unexpected end tag"))?;
                    scopes.pop();
                    if let Node::Element(el) = &mut nodes[id] {
                        el.content_end = before as usize;
                        el.end = after as usize;
                    }
                }
                Event::Text(t) => {
                    let s = t.xml10_content();
                    if s.contains("]]>") {
                        return Err(err(before, "']]>' in text"));
                    }
                    add_text(&mut nodes, &stack, &s, before)?;
                }
                Event::CData(c) => {
                    let raw = c.as_ref().replace("\r\n", "\n").replace('\r', "\n");
                    add_text(&mut nodes, &stack, &raw, before)?;
                }
                Event::GeneralRef(r) => {
                    let s: String = if r.is_char_ref() {
                        match r.resolve_char_ref() {
                            Ok(Some(c)) => c.to_string(),
                            _ => return Err(err(before, "bad character reference")),
                        }
                    } else {
                        match resolve_predefined_entity(&r) {
                            Some(v) => v.to_owned(),
                            None => return Err(err(before, "undefined entity")),
                        }
                    };
                    if stack.is_empty() {
                        return Err(err(before, "reference outside root"));
                    }
                    add_text(&mut nodes, &stack, &s, before)?;
                }
                Event::Comment(c) => {
                    let s = c.xml10_content().into_owned();
                    check_chars(&s).map_err(|m| err(before, m))?;
                    let id = nodes.len();
                    nodes.push(Node::Comment(s));
                    match stack.last() {
                        Some(p) => push_child(&mut nodes, *p, id),
                        None => top.push(id),
                    }
                }
                Event::PI(p) => {
                    let target = p.target().to_owned();
                    let content = p.content().trim_start().to_owned();
                    if target.eq_ignore_ascii_case("xml") || target.is_empty() {
                        return Err(err(before, "bad PI target"));
                    }
                    let id = nodes.len();
                    nodes.push(Node::Pi(target, content));
                    match stack.last() {
                        Some(p) => push_child(&mut nodes, *p, id),
                        None => top.push(id),
                    }
                }
                Event::Eof => break,
            }
        }
        if !stack.is_empty() {
            return Err(err(input.len() as u64, "unclosed element"));
        }
        let root = root.ok_or_else(|| err(0, "no root element"))?;
        Ok(Document { nodes, top, root })
    }

    /// The element at `id` (panics if `id` is not an element: internal use with checked ids).
    pub fn element(&self, id: NodeId) -> &Element {
        match &self.nodes[id] {
            Node::Element(e) => e,
            _ => unreachable!("node {id} is not an element"),
        }
    }

    /// Element children of `id`.
    pub fn child_elements(&self, id: NodeId) -> impl Iterator<Item = NodeId> + '_ {
        self.element(id)
            .children
            .iter()
            .copied()
            .filter(|c| matches!(self.nodes[*c], Node::Element(_)))
    }

    /// First element child with this local name.
    pub fn child(&self, id: NodeId, local: &str) -> Option<NodeId> {
        self.child_elements(id)
            .find(|c| self.element(*c).local() == local)
    }

    /// All element children with this local name.
    pub fn children_named<'a>(
        &'a self,
        id: NodeId,
        local: &'a str,
    ) -> impl Iterator<Item = NodeId> + 'a {
        self.child_elements(id)
            .filter(move |c| self.element(*c).local() == local)
    }

    /// Concatenated text of the element's direct text children.
    pub fn text(&self, id: NodeId) -> String {
        let mut s = String::new();
        for c in &self.element(id).children {
            if let Node::Text(t) = &self.nodes[*c] {
                s.push_str(t);
            }
        }
        s
    }

    /// All descendant elements of `id` (including itself), in document order.
    pub fn descendants(&self, id: NodeId) -> Vec<NodeId> {
        let mut out = Vec::new();
        let mut stack = vec![id];
        while let Some(n) = stack.pop() {
            if let Node::Element(e) = &self.nodes[n] {
                out.push(n);
                for c in e.children.iter().rev() {
                    stack.push(*c);
                }
            }
        }
        out
    }

    /// Namespace declarations in scope at `id` (prefix → URI, `""` = default), including
    /// those declared on `id` itself.
    pub fn in_scope(&self, id: NodeId) -> BTreeMap<String, String> {
        let mut chain = Vec::new();
        let mut cur = Some(id);
        while let Some(n) = cur {
            chain.push(n);
            cur = self.element(n).parent;
        }
        let mut map = BTreeMap::new();
        for n in chain.into_iter().rev() {
            for (p, u) in &self.element(n).ns_decls {
                map.insert(p.clone(), u.clone());
            }
        }
        map
    }

    /// Namespace URI of an element or attribute qualified name in a scope.
    pub fn resolve<'a>(scope: &'a BTreeMap<String, String>, qname: &str, is_attr: bool) -> &'a str {
        match qname.split_once(':') {
            Some(("xml", _)) => XML_NS,
            Some((p, _)) => scope.get(p).map_or("", String::as_str),
            None if is_attr => "",
            None => scope.get("").map_or("", String::as_str),
        }
    }

    /// Element ids having attribute `Id`, `ID` or `id` equal to `value`.
    pub fn find_by_id(&self, value: &str) -> Vec<NodeId> {
        self.nodes
            .iter()
            .enumerate()
            .filter_map(|(i, n)| match n {
                Node::Element(e)
                    if e.attrs
                        .iter()
                        .any(|(k, v)| (k == "Id" || k == "ID" || k == "id") && v == value) =>
                {
                    Some(i)
                }
                _ => None,
            })
            .collect()
    }
}

fn push_child(nodes: &mut [Node], parent: NodeId, child: NodeId) {
    if let Node::Element(e) = &mut nodes[parent] {
        e.children.push(child);
    }
}

fn check_chars(s: &str) -> Result<(), String> {
    for c in s.chars() {
        let ok = matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..);
        if !ok {
            return Err(format!("character U+{:04X} not allowed", c as u32));
        }
    }
    Ok(())
}

fn add_text(nodes: &mut Vec<Node>, stack: &[NodeId], s: &str, at: u64) -> Result<(), XmlError> {
    check_chars(s).map_err(|m| err(at, m))?;
    let Some(&parent) = stack.last() else {
        if s.chars().all(|c| matches!(c, ' ' | '\t' | '\n' | '\r')) {
            return Ok(());
        }
        return Err(err(at, "text outside the root element"));
    };
    // merge with a preceding text sibling (text split around references)
    if let Node::Element(e) = &nodes[parent]
        && let Some(&last) = e.children.last()
        && let Node::Text(t) = &mut nodes[last]
    {
        t.push_str(s);
        return Ok(());
    }
    let id = nodes.len();
    nodes.push(Node::Text(s.to_owned()));
    push_child(nodes, parent, id);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basics() {
        let d = Document::parse(
            "<?xml version=\"1.0\"?>\n<a xmlns:x=\"u\" b=\"1&amp;2\"><x:c>t&lt;&#x41;<![CDATA[<z>]]></x:c><d/></a>\n",
        )
        .unwrap();
        let a = d.element(d.root);
        assert_eq!(a.attr("b"), Some("1&2"));
        let c = d.child(d.root, "c").unwrap();
        assert_eq!(d.text(c), "t<A<z>");
        let dd = d.child(d.root, "d").unwrap();
        assert!(d.element(dd).self_closing);
    }

    #[test]
    fn refusals() {
        for bad in [
            "<!DOCTYPE a [<!ENTITY e \"x\">]><a>&e;</a>",
            "<a>&e;</a>",
            "<a><b></a>",
            "<a/><b/>",
            "x<a/>",
            "<a>]]></a>",
            "<x:a/>",
            "<a>\u{1}</a>",
            "",
            "<a",
        ] {
            assert!(Document::parse(bad).is_err(), "{bad:?}");
        }
    }
}
