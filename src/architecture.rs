//! The dependency rule, checked on the sources themselves (`cargo test --lib architecture`;
//! add `-- --nocapture` to see the module graph): no import cycle between the crate's
//! top-level modules nor between sibling modules anywhere, `config` and `domain` import nothing
//! else of the crate, and no source file other than a test-only one is over 600 lines.
//!
//! Imports are read from the text: every `crate::…`, `self::…` and `super::…` path (use-trees
//! like `crate::{a, b::{c, d}}` included) outside comments and test-only code. Test-only code
//! (`#[cfg(test)] mod …` blocks and the files such a declaration names) may reach across layers.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// The size past which a file is split along its seams (issue 22).
const MAX_LINES: usize = 600;
/// Modules that must not import any other module of the crate.
const LEAVES: [&str; 2] = ["config", "domain"];

type Graph = BTreeMap<String, BTreeSet<String>>;

struct Source {
    /// Relative to `src/`, for messages.
    file: String,
    /// The module path: `src/auth/token.rs` is `[auth, token]`, `src/db/mod.rs` is `[db]`.
    module: Vec<String>,
    /// The text without comments and without test-only blocks.
    code: String,
    lines: usize,
}

fn src_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = fs::read_dir(dir)
        .expect("src is readable")
        .map(|e| e.expect("directory entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn module_of(relative: &Path) -> Vec<String> {
    let mut parts: Vec<String> = relative
        .with_extension("")
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if matches!(
        parts.last().map(String::as_str),
        Some("mod" | "lib" | "main")
    ) {
        parts.pop();
    }
    parts
}

/// Drops `//` comments (doc comments included) and `#[cfg(test)]` modules written inline.
fn strip(text: &str) -> String {
    let uncommented: String = text
        .lines()
        .map(|l| l.find("//").map_or(l, |i| &l[..i]))
        .collect::<Vec<_>>()
        .join("\n");
    let mut out = String::new();
    let mut rest = uncommented.as_str();
    while let Some(at) = rest.find("#[cfg(test)]") {
        out.push_str(&rest[..at]);
        let after = &rest[at..];
        let item_end = after.find([';', '{']).unwrap_or(after.len());
        let is_mod = after[..item_end].contains("mod ");
        if is_mod && after[item_end..].starts_with('{') {
            let mut depth = 0usize;
            let mut end = after.len();
            for (i, c) in after[item_end..].char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' => {
                        depth -= 1;
                        if depth == 0 {
                            end = item_end + i + 1;
                            break;
                        }
                    }
                    _ => {}
                }
            }
            rest = &after[end..];
        } else {
            out.push_str("#[cfg(test)]");
            rest = &after["#[cfg(test)]".len()..];
        }
    }
    out.push_str(rest);
    out
}

/// The files that `#[cfg(test)] mod name;` declarations name: test-only as a whole.
fn test_only_files(sources: &[(PathBuf, String)]) -> BTreeSet<PathBuf> {
    let mut out = BTreeSet::new();
    for (path, text) in sources {
        let dir = match path.file_name().and_then(|f| f.to_str()) {
            Some("mod.rs" | "lib.rs" | "main.rs") => path.parent().map(Path::to_path_buf),
            _ => Some(path.with_extension("")),
        };
        let Some(dir) = dir else { continue };
        let mut rest = text.as_str();
        while let Some(at) = rest.find("#[cfg(test)]") {
            rest = &rest[at + "#[cfg(test)]".len()..];
            let decl = rest.trim_start();
            let decl = decl.strip_prefix("pub(crate) ").unwrap_or(decl);
            if let Some(name) = decl
                .strip_prefix("mod ")
                .and_then(|d| d.split_once(';'))
                .map(|(name, _)| name.trim())
                .filter(|n| n.chars().all(|c| c.is_alphanumeric() || c == '_'))
            {
                out.insert(dir.join(format!("{name}.rs")));
                out.insert(dir.join(name).join("mod.rs"));
            }
        }
    }
    out
}

fn sources() -> Vec<Source> {
    let src = src_dir();
    let mut paths = Vec::new();
    rust_files(&src, &mut paths);
    let texts: Vec<(PathBuf, String)> = paths
        .into_iter()
        .map(|p| {
            let text = fs::read_to_string(&p).expect("a readable source file");
            (p, text)
        })
        .collect();
    let test_only = test_only_files(&texts);
    texts
        .into_iter()
        .filter(|(p, _)| !test_only.contains(p))
        .map(|(p, text)| {
            let relative = p.strip_prefix(&src).expect("under src");
            Source {
                file: relative.display().to_string(),
                module: module_of(relative),
                code: strip(&text),
                lines: text.lines().count(),
            }
        })
        .collect()
}

fn is_ident(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Parses the path or use-tree at the start of `text` (`a::b`, `a::{b, c::d}`) under
/// `prefix`, adding each full path to `out`; returns how much of `text` it read.
fn parse_tree(text: &str, prefix: &[String], out: &mut Vec<Vec<String>>) -> usize {
    let mut path = prefix.to_vec();
    let mut i = 0;
    loop {
        let rest = &text[i..];
        if rest.starts_with('{') {
            i += 1;
            loop {
                let skipped = text[i..]
                    .find(|c: char| !c.is_whitespace() && c != ',')
                    .unwrap_or(text.len() - i);
                i += skipped;
                if i >= text.len() || text[i..].starts_with('}') {
                    return (i + 1).min(text.len());
                }
                i += parse_tree(&text[i..], &path, out);
            }
        }
        let lead = rest.len() - rest.trim_start().len();
        let word: String = rest[lead..].chars().take_while(|c| is_ident(*c)).collect();
        if word.is_empty() {
            out.push(path);
            return i;
        }
        i += lead + word.len();
        path.push(word);
        if text[i..].starts_with("::") {
            i += 2;
            continue;
        }
        out.push(path);
        // Past `as alias` or anything else up to the end of this item.
        let end = text[i..]
            .find([
                ',', '}', ';', '(', ')', '<', '>', '[', ']', '=', '!', '&', '*', '.', '|',
            ])
            .unwrap_or(text.len() - i);
        return i + end;
    }
}

/// Every absolute module path a file names through `crate::`, `self::` and `super::`.
fn references(code: &str, here: &[String]) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < code.len() {
        let rest = &code[i..];
        let boundary = code[..i].chars().next_back().is_none_or(|c| !is_ident(c));
        let head = ["crate::", "self::", "super::"]
            .into_iter()
            .find(|h| rest.starts_with(h));
        let (Some(head), true) = (head, boundary) else {
            i += rest.chars().next().map_or(1, char::len_utf8);
            continue;
        };
        let mut at = i + head.len();
        let base: Option<Vec<String>> = match head {
            "crate::" => Some(Vec::new()),
            "self::" => Some(here.to_vec()),
            _ => {
                let mut ups = 1;
                while code[at..].starts_with("super::") {
                    ups += 1;
                    at += "super::".len();
                }
                here.len()
                    .checked_sub(ups)
                    .map(|keep| here[..keep].to_vec())
            }
        };
        if let Some(base) = base {
            at += parse_tree(&code[at..], &base, &mut out);
        }
        i = at.max(i + 1);
    }
    out.retain(|p| !p.is_empty());
    out
}

/// The top-level graph, and the graph between siblings at every depth (`auth::token` →
/// `auth::voter`), from every non-test file outside `src/bin` (none now: the load generator
/// is its own crate).
fn graphs(sources: &[Source]) -> (Graph, Graph) {
    let tops: BTreeSet<String> = sources
        .iter()
        .filter(|s| s.module.first().is_some_and(|m| m != "bin"))
        .filter_map(|s| s.module.first().cloned())
        .collect();
    let mut top = Graph::new();
    let mut siblings = Graph::new();
    for t in &tops {
        top.entry(t.clone()).or_default();
    }
    for s in sources {
        let Some(first) = s.module.first().filter(|m| tops.contains(*m)) else {
            continue;
        };
        for r in references(&s.code, &s.module) {
            if tops.contains(&r[0]) && r[0] != *first {
                top.entry(first.clone()).or_default().insert(r[0].clone());
            }
            let common = s.module.iter().zip(&r).take_while(|(a, b)| a == b).count();
            if common > 0 && common < s.module.len() && common < r.len() {
                siblings
                    .entry(s.module[..=common].join("::"))
                    .or_default()
                    .insert(r[..=common].join("::"));
            }
        }
    }
    (top, siblings)
}

fn reaches(graph: &Graph, from: &str, to: &str) -> bool {
    let mut seen = BTreeSet::new();
    let mut stack = vec![from.to_string()];
    while let Some(n) = stack.pop() {
        if n == to {
            return true;
        }
        if seen.insert(n.clone()) {
            stack.extend(graph.get(&n).into_iter().flatten().cloned());
        }
    }
    false
}

/// The edges that lie on a cycle, as `a -> b`.
fn cycle_edges(graph: &Graph) -> Vec<String> {
    graph
        .iter()
        .flat_map(|(a, bs)| bs.iter().map(move |b| (a, b)))
        .filter(|(a, b)| reaches(graph, b, a))
        .map(|(a, b)| format!("{a} -> {b}"))
        .collect()
}

#[test]
fn no_module_imports_another_that_imports_it_back() {
    let (top, siblings) = graphs(&sources());
    for (m, deps) in &top {
        let deps: Vec<&str> = deps.iter().map(String::as_str).collect();
        println!("{m:10} -> {}", deps.join(", "));
    }
    assert!(top.len() > 10, "the scan found the modules: {top:?}");
    assert_eq!(cycle_edges(&top), Vec::<String>::new());
    assert_eq!(cycle_edges(&siblings), Vec::<String>::new());
}

#[test]
fn config_and_domain_import_nothing_else_of_the_crate() {
    let (top, _) = graphs(&sources());
    for leaf in LEAVES {
        assert_eq!(top.get(leaf), Some(&BTreeSet::new()), "{leaf}");
    }
}

#[test]
fn no_source_file_but_a_test_is_over_600_lines() {
    let long: Vec<String> = sources()
        .iter()
        .filter(|s| s.lines > MAX_LINES)
        .map(|s| format!("{} ({} lines)", s.file, s.lines))
        .collect();
    assert_eq!(long, Vec::<String>::new());
}

#[test]
fn the_scan_reads_grouped_and_relative_paths() {
    let here = ["a".to_string(), "b".to_string()];
    let found = references(
        "use crate::{x::{Y, z}, w}; use super::c::D; super::super::e::f(); selfish::g;",
        &here,
    );
    let found: Vec<String> = found.iter().map(|p| p.join("::")).collect();
    assert_eq!(found, ["x::Y", "x::z", "w", "a::c::D", "e::f"]);
    let stripped = strip("use crate::a; // crate::b\n#[cfg(test)]\nmod tests { use crate::c; }\n");
    assert!(stripped.contains("crate::a") && !stripped.contains("crate::b"));
    assert!(!stripped.contains("crate::c"), "{stripped}");
    let mut cyclic = Graph::new();
    cyclic.entry("p".into()).or_default().insert("q".into());
    cyclic.entry("q".into()).or_default().insert("p".into());
    cyclic.entry("q".into()).or_default().insert("r".into());
    assert_eq!(cycle_edges(&cyclic), ["p -> q", "q -> p"]);
}
