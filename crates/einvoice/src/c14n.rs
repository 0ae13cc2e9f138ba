//! Canonical XML 1.0 (inclusive, `REC-xml-c14n-20010315`) and Exclusive XML
//! Canonicalization 1.0 (`xml-exc-c14n#`), with or without comments, for a document or an
//! element subtree of a [`Document`], optionally leaving out one subtree (the
//! enveloped-signature transform).
//!
//! Subtree canonicalisation follows the node-set semantics of an XPointer `#id` reference:
//! inclusive C14N renders on the apex element every namespace declaration in scope (also
//! those inherited from ancestors) and the inherited `xml:*` attributes; exclusive C14N
//! renders only visibly used prefixes (plus an `InclusiveNamespaces` prefix list).

use std::collections::BTreeMap;

use crate::dom::{Document, Node, NodeId};

/// Canonicalisation algorithm URIs.
pub mod alg {
    /// C14N 1.0.
    pub const C14N: &str = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315";
    /// C14N 1.0 with comments.
    pub const C14N_COMMENTS: &str = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315#WithComments";
    /// Exclusive C14N 1.0.
    pub const EXC_C14N: &str = "http://www.w3.org/2001/10/xml-exc-c14n#";
    /// Exclusive C14N 1.0 with comments.
    pub const EXC_C14N_COMMENTS: &str = "http://www.w3.org/2001/10/xml-exc-c14n#WithComments";
}

/// Canonicalisation options.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct C14nOptions {
    /// Exclusive (true) or inclusive C14N 1.0.
    pub exclusive: bool,
    /// Keep comments.
    pub with_comments: bool,
    /// Exclusive only: prefixes treated inclusively (`InclusiveNamespaces PrefixList`,
    /// `#default` for the default namespace).
    pub inclusive_prefixes: Vec<String>,
}

impl C14nOptions {
    /// Options for an algorithm URI, `None` if it is not a C14N algorithm.
    pub fn from_uri(uri: &str) -> Option<C14nOptions> {
        let (exclusive, with_comments) = match uri {
            alg::C14N => (false, false),
            alg::C14N_COMMENTS => (false, true),
            alg::EXC_C14N => (true, false),
            alg::EXC_C14N_COMMENTS => (true, true),
            _ => return None,
        };
        Some(C14nOptions {
            exclusive,
            with_comments,
            inclusive_prefixes: Vec::new(),
        })
    }
}

/// Canonicalise the subtree rooted at element `apex`, skipping subtree `exclude`.
pub fn canonicalize_subtree(
    doc: &Document,
    apex: NodeId,
    opts: &C14nOptions,
    exclude: Option<NodeId>,
) -> String {
    let mut out = String::new();
    if Some(apex) == exclude {
        return out;
    }
    let parent_scope = match doc.element(apex).parent {
        Some(p) => doc.in_scope(p),
        None => BTreeMap::new(),
    };
    let inherited_xml_attrs = if opts.exclusive {
        Vec::new()
    } else {
        inherited_xml_attrs(doc, apex)
    };
    let mut c = Canon {
        doc,
        opts,
        exclude,
        out: &mut out,
    };
    c.element(apex, &parent_scope, &BTreeMap::new(), &inherited_xml_attrs);
    out
}

/// Canonicalise a whole document (the `URI=""` node-set, or a re-parsed octet stream).
pub fn canonicalize_document(
    doc: &Document,
    opts: &C14nOptions,
    exclude: Option<NodeId>,
) -> String {
    let mut out = String::new();
    let mut before_root = true;
    for &n in &doc.top {
        match &doc.nodes[n] {
            Node::Element(_) => {
                let mut c = Canon {
                    doc,
                    opts,
                    exclude,
                    out: &mut out,
                };
                if Some(n) != exclude {
                    c.element(n, &BTreeMap::new(), &BTreeMap::new(), &[]);
                }
                before_root = false;
            }
            Node::Comment(t) if opts.with_comments => {
                if !before_root {
                    out.push('\n');
                }
                out.push_str("<!--");
                out.push_str(t);
                out.push_str("-->");
                if before_root {
                    out.push('\n');
                }
            }
            Node::Pi(t, d) => {
                if !before_root {
                    out.push('\n');
                }
                push_pi(&mut out, t, d);
                if before_root {
                    out.push('\n');
                }
            }
            _ => {}
        }
    }
    out
}

fn inherited_xml_attrs(doc: &Document, apex: NodeId) -> Vec<(String, String)> {
    let mut map: BTreeMap<String, String> = BTreeMap::new();
    let mut chain = Vec::new();
    let mut cur = doc.element(apex).parent;
    while let Some(n) = cur {
        chain.push(n);
        cur = doc.element(n).parent;
    }
    for n in chain.into_iter().rev() {
        for (k, v) in &doc.element(n).attrs {
            if k.starts_with("xml:") {
                map.insert(k.clone(), v.clone());
            }
        }
    }
    map.into_iter().collect()
}

fn push_pi(out: &mut String, target: &str, data: &str) {
    out.push_str("<?");
    out.push_str(target);
    if !data.is_empty() {
        out.push(' ');
        out.push_str(data);
    }
    out.push_str("?>");
}

struct Canon<'a, 'o> {
    doc: &'a Document,
    opts: &'a C14nOptions,
    exclude: Option<NodeId>,
    out: &'o mut String,
}

impl Canon<'_, '_> {
    /// `parent_scope`: namespaces in scope at the parent (source document);
    /// `rendered`: namespaces in effect in the output at the nearest output ancestor.
    fn element(
        &mut self,
        id: NodeId,
        parent_scope: &BTreeMap<String, String>,
        rendered: &BTreeMap<String, String>,
        extra_xml_attrs: &[(String, String)],
    ) {
        let el = self.doc.element(id);
        let mut scope = parent_scope.clone();
        for (p, u) in &el.ns_decls {
            scope.insert(p.clone(), u.clone());
        }
        let get = |m: &BTreeMap<String, String>, p: &str| m.get(p).cloned().unwrap_or_default();
        // namespace nodes to render
        let mut ns_out: Vec<(String, String)> = Vec::new();
        if self.opts.exclusive {
            let mut used: Vec<String> = vec![el.prefix().to_owned()];
            for (k, _) in &el.attrs {
                if let Some((p, _)) = k.split_once(':')
                    && p != "xml"
                {
                    used.push(p.to_owned());
                }
            }
            for p in &self.opts.inclusive_prefixes {
                let p = if p == "#default" { "" } else { p.as_str() };
                if scope.contains_key(p) {
                    used.push(p.to_owned());
                }
            }
            used.sort();
            used.dedup();
            for p in used {
                let u = get(&scope, &p);
                if get(rendered, &p) != u {
                    ns_out.push((p, u));
                }
            }
        } else {
            for (p, u) in &scope {
                if p == "xml" {
                    continue;
                }
                if get(rendered, p) != *u {
                    ns_out.push((p.clone(), u.clone()));
                }
            }
        }
        let mut new_rendered = rendered.clone();
        for (p, u) in &ns_out {
            new_rendered.insert(p.clone(), u.clone());
        }
        // attributes sorted by (namespace URI, local name)
        let mut attrs: Vec<(String, String, &str, &str)> = Vec::new();
        for (k, v) in el
            .attrs
            .iter()
            .chain(extra_xml_attrs.iter().filter(|(k, _)| el.attr(k).is_none()))
        {
            let uri = Document::resolve(&scope, k, true).to_owned();
            let local = k.split_once(':').map_or(k.as_str(), |(_, l)| l).to_owned();
            attrs.push((uri, local, k, v));
        }
        attrs.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));

        self.out.push('<');
        self.out.push_str(&el.name);
        for (p, u) in &ns_out {
            if p.is_empty() {
                self.out.push_str(" xmlns=\"");
            } else {
                self.out.push_str(" xmlns:");
                self.out.push_str(p);
                self.out.push_str("=\"");
            }
            escape_attr(self.out, u);
            self.out.push('"');
        }
        for (_, _, k, v) in &attrs {
            self.out.push(' ');
            self.out.push_str(k);
            self.out.push_str("=\"");
            escape_attr(self.out, v);
            self.out.push('"');
        }
        self.out.push('>');
        for &c in &el.children {
            if Some(c) == self.exclude {
                continue;
            }
            match &self.doc.nodes[c] {
                Node::Element(_) => self.element(c, &scope, &new_rendered, &[]),
                Node::Text(t) => escape_text(self.out, t),
                Node::Comment(t) => {
                    if self.opts.with_comments {
                        self.out.push_str("<!--");
                        self.out.push_str(t);
                        self.out.push_str("-->");
                    }
                }
                Node::Pi(t, d) => push_pi(self.out, t, d),
            }
        }
        self.out.push_str("</");
        self.out.push_str(&el.name);
        self.out.push('>');
    }
}

fn escape_text(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\r' => out.push_str("&#xD;"),
            _ => out.push(c),
        }
    }
}

fn escape_attr(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '"' => out.push_str("&quot;"),
            '\t' => out.push_str("&#x9;"),
            '\n' => out.push_str("&#xA;"),
            '\r' => out.push_str("&#xD;"),
            _ => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inc() -> C14nOptions {
        C14nOptions::default()
    }
    fn exc() -> C14nOptions {
        C14nOptions {
            exclusive: true,
            ..C14nOptions::default()
        }
    }

    #[test]
    fn inclusive_subtree_inherits_namespaces() {
        let d = Document::parse(
            r#"<r xmlns:inv="urn:i" xmlns:ds="urn:d"><a Id="x" z="1" b='q"&lt;'><b/>t&gt;&#13;</a></r>"#,
        )
        .unwrap();
        let a = d.child(d.root, "a").unwrap();
        assert_eq!(
            canonicalize_subtree(&d, a, &inc(), None),
            "<a xmlns:ds=\"urn:d\" xmlns:inv=\"urn:i\" Id=\"x\" b=\"q&quot;&lt;\" z=\"1\"><b></b>t&gt;&#xD;</a>"
        );
        assert_eq!(
            canonicalize_subtree(&d, a, &exc(), None),
            "<a Id=\"x\" b=\"q&quot;&lt;\" z=\"1\"><b></b>t&gt;&#xD;</a>"
        );
    }

    #[test]
    fn default_namespace_and_redundant_decls() {
        let d = Document::parse(
            r#"<r xmlns="urn:a"><s xmlns="urn:a"><t xmlns=""><u xmlns:p="urn:p" p:k="v" a="1"/></t></s></r>"#,
        )
        .unwrap();
        assert_eq!(
            canonicalize_document(&d, &inc(), None),
            "<r xmlns=\"urn:a\"><s><t xmlns=\"\"><u xmlns:p=\"urn:p\" a=\"1\" p:k=\"v\"></u></t></s></r>"
        );
        let s = d.child(d.root, "s").unwrap();
        assert_eq!(
            canonicalize_subtree(&d, s, &exc(), None),
            "<s xmlns=\"urn:a\"><t xmlns=\"\"><u xmlns:p=\"urn:p\" a=\"1\" p:k=\"v\"></u></t></s>"
        );
    }

    #[test]
    fn excludes_subtree_and_comments() {
        let d = Document::parse("<?pi x?><!--c--><r><!--k--><a/><b>1</b></r><!--e-->").unwrap();
        let b = d.child(d.root, "b").unwrap();
        assert_eq!(
            canonicalize_document(&d, &inc(), Some(b)),
            "<?pi x?>\n<r><a></a></r>"
        );
        let with = C14nOptions {
            with_comments: true,
            ..inc()
        };
        assert_eq!(
            canonicalize_document(&d, &with, None),
            "<?pi x?>\n<!--c-->\n<r><!--k--><a></a><b>1</b></r>\n<!--e-->"
        );
    }

    #[test]
    fn attribute_whitespace_normalisation() {
        let d = Document::parse("<r a=\"x\ty\n\" b=\"&#9;&#10;\">a\r\nb</r>").unwrap();
        assert_eq!(
            canonicalize_document(&d, &inc(), None),
            "<r a=\"x y \" b=\"&#x9;&#xA;\">a\nb</r>"
        );
    }
}
