//! The one JSON line a run prints, built by hand (no serde: the crate depends on std only).

use std::fmt::Write;

pub enum Val {
    Str(String),
    Int(u64),
    Num(f64),
    Bool(bool),
    Null,
    Obj(Report),
    Arr(Vec<Val>),
}

/// An ordered JSON object.
#[derive(Default)]
pub struct Report {
    fields: Vec<(String, Val)>,
}

impl Report {
    pub fn new() -> Self {
        Report::default()
    }

    pub fn set(&mut self, key: &str, v: Val) -> &mut Self {
        if let Some(slot) = self.fields.iter_mut().find(|(k, _)| k == key) {
            slot.1 = v;
        } else {
            self.fields.push((key.to_string(), v));
        }
        self
    }
    pub fn get(&self, key: &str) -> Option<&Val> {
        self.fields.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    pub fn str(&mut self, key: &str, v: impl Into<String>) -> &mut Self {
        self.set(key, Val::Str(v.into()))
    }
    pub fn int(&mut self, key: &str, v: u64) -> &mut Self {
        self.set(key, Val::Int(v))
    }
    pub fn num(&mut self, key: &str, v: f64) -> &mut Self {
        self.set(key, Val::Num(v))
    }
    pub fn bool(&mut self, key: &str, v: bool) -> &mut Self {
        self.set(key, Val::Bool(v))
    }

    pub fn to_json(&self) -> String {
        let mut out = String::new();
        write_obj(&mut out, self);
        out
    }
}

fn write_obj(out: &mut String, r: &Report) {
    out.push('{');
    for (i, (k, v)) in r.fields.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        write_str(out, k);
        out.push(':');
        write_val(out, v);
    }
    out.push('}');
}

fn write_val(out: &mut String, v: &Val) {
    match v {
        Val::Str(s) => write_str(out, s),
        Val::Int(n) => {
            let _ = write!(out, "{n}");
        }
        Val::Num(x) if x.is_finite() => {
            let _ = write!(out, "{x}");
        }
        Val::Num(_) | Val::Null => out.push_str("null"),
        Val::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Val::Obj(r) => write_obj(out, r),
        Val::Arr(items) => {
            out.push('[');
            for (i, it) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_val(out, it);
            }
            out.push(']');
        }
    }
}

/// `s` as a JSON string literal (quotes included).
pub fn json_string(s: &str) -> String {
    let mut out = String::new();
    write_str(&mut out, s);
    out
}

fn write_str(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
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

/// Latency percentiles (in microseconds) of samples in nanoseconds; sorts `ns`.
pub fn percentiles(ns: &mut [u64]) -> Report {
    ns.sort_unstable();
    let mut r = Report::new();
    let at = |q: f64| -> f64 {
        if ns.is_empty() {
            return f64::NAN;
        }
        let idx = ((q * ns.len() as f64).ceil() as usize).clamp(1, ns.len()) - 1;
        ns[idx] as f64 / 1000.0
    };
    r.num("p50", at(0.50))
        .num("p90", at(0.90))
        .num("p99", at(0.99))
        .num("p99_9", at(0.999))
        .num("max", at(1.0))
        .num(
            "mean",
            if ns.is_empty() {
                f64::NAN
            } else {
                ns.iter().sum::<u64>() as f64 / ns.len() as f64 / 1000.0
            },
        );
    r
}
