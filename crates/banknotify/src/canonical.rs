//! Canonical renderings that providers sign: JavaScript-compatible compact JSON with keys sorted
//! (Casso), and the payOS `key=value&…` string.
//!
//! Keys are sorted explicitly here, so the result does not depend on whether `serde_json` was
//! built with `preserve_order`.

use serde_json::{Map, Number, Value};

/// Render a number the way JavaScript's `String(n)` / `JSON.stringify` does for the values
/// providers send: integers as plain digits (also when they arrive as `20000.0`), other finite
/// floats in Rust's shortest round-trip form (identical to JavaScript for magnitudes in
/// [1e-6, 1e21); outside that range JavaScript switches to exponent notation, which no documented
/// field uses).
pub fn js_number(n: &Number, out: &mut String) {
    use std::fmt::Write;
    if let Some(i) = n.as_i64() {
        let _ = write!(out, "{i}");
    } else if let Some(u) = n.as_u64() {
        let _ = write!(out, "{u}");
    } else if let Some(f) = n.as_f64() {
        if f.fract() == 0.0 && f.abs() < 1e21 {
            let _ = write!(out, "{}", f as i128);
        } else {
            let _ = write!(out, "{f}");
        }
    }
}

/// A JSON string literal as `JSON.stringify` writes it: `"` and `\` escaped, `\b \f \n \r \t`
/// short forms, other controls as `\u00xx`, everything else (including non-ASCII) verbatim.
pub fn js_string(s: &str, out: &mut String) {
    use std::fmt::Write;
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

fn sorted_keys(m: &Map<String, Value>) -> Vec<&String> {
    let mut keys: Vec<&String> = m.keys().collect();
    keys.sort_unstable();
    keys
}

/// Compact JSON with object keys sorted recursively (also inside arrays): Casso's
/// `JSON.stringify(sortKeysRecursively(body))`.
pub fn sorted_json(v: &Value, out: &mut String) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => js_number(n, out),
        Value::String(s) => js_string(s, out),
        Value::Array(a) => {
            out.push('[');
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                sorted_json(x, out);
            }
            out.push(']');
        }
        Value::Object(m) => {
            out.push('{');
            for (i, k) in sorted_keys(m).into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                js_string(k, out);
                out.push(':');
                sorted_json(&m[k.as_str()], out);
            }
            out.push('}');
        }
    }
}

/// The payOS signed string for a `data` object: keys sorted, `key=value` joined by `&`.
///
/// Values are rendered as the payOS SDK's `convertObjToQueryStr` does: `null` and the strings
/// `"null"`/`"undefined"` → empty; strings verbatim (no URL encoding); numbers as JavaScript prints
/// them; booleans `true`/`false`; arrays → compact JSON of the items with keys sorted; a nested
/// object → `[object Object]` (JavaScript's string conversion; no documented field is an object).
pub fn payos_query_string(data: &Map<String, Value>) -> String {
    let mut out = String::with_capacity(512);
    for (i, k) in sorted_keys(data).into_iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(k);
        out.push('=');
        match &data[k.as_str()] {
            Value::Null => {}
            Value::String(s) if s == "null" || s == "undefined" => {}
            Value::String(s) => out.push_str(s),
            Value::Number(n) => js_number(n, &mut out),
            Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            a @ Value::Array(_) => sorted_json(a, &mut out),
            Value::Object(_) => out.push_str("[object Object]"),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn sorted_compact() {
        let v =
            json!({"b": 1, "a": {"d": [ {"z": 1, "y": null} ], "c": "x\"\n\u{1}ế"}, "n": 20000.0});
        let mut s = String::new();
        sorted_json(&v, &mut s);
        assert_eq!(
            s,
            r#"{"a":{"c":"x\"\n\u0001ế","d":[{"y":null,"z":1}]},"b":1,"n":20000}"#
        );
    }

    #[test]
    fn payos_values() {
        let v = json!({"b": null, "a": "null", "c": [{"y": 2, "x": 1}], "d": true, "e": {"k": 1}, "f": 1.5});
        assert_eq!(
            payos_query_string(v.as_object().unwrap()),
            r#"a=&b=&c=[{"x":1,"y":2}]&d=true&e=[object Object]&f=1.5"#
        );
    }
}
