//! A queue's requirement: the expression, its parser, its binding to one customer's
//! attributes, and its test against one agent's skill levels.
//!
//! # The language
//!
//! ```text
//! requirement := all ( "||" all )*
//! all         := one ( "&&" one )*
//! one         := "!" one | "(" requirement ")" | test
//! test        := skill [ compare LEVEL ]          a bare skill means  skill >= 1
//!              | attribute [ compare VALUE ]      a bare attribute means  == true
//! skill       := NAME [ "." NAME ]                a skill of the app's catalog
//!              | NAME "[" attribute "]"           the skill NAME.<the attribute's value>
//! attribute   := "customer." NAME                 an attribute the customer brought
//! compare     := "==" | "!=" | ">=" | "<=" | ">" | "<"
//! LEVEL       := 0..10
//! VALUE       := 'text' | "text" | integer | true | false
//! ```
//!
//! An agent without a skill has level 0 in it. An attribute the customer did not bring,
//! or of another type than the value, makes its test false (`!=`: true). Text and
//! true/false compare only with `==` and `!=`. Limits: [`MAX_REQUIREMENT`] bytes,
//! [`MAX_DEPTH`] levels of `(` and `!`, [`MAX_TESTS`] tests; no markup (`<` before a
//! letter, `/`, `!` or `?`). An error names its 1-based column.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::ids::Name;

/// The longest requirement, bytes.
pub const MAX_REQUIREMENT: usize = 512;
/// The deepest nesting of `(` and `!`.
pub const MAX_DEPTH: usize = 8;
/// The most tests in one requirement.
pub const MAX_TESTS: usize = 32;
/// The highest skill level.
pub const MAX_LEVEL: u8 = 10;
/// How much the first relaxation step lowers each `>=` and `>` level.
pub const RELAX_LEVELS: u8 = 3;

/// A value a customer brings in its attributes, or a requirement compares with.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum AttrValue {
    Text(Arc<str>),
    Number(i64),
    Flag(bool),
}

/// A customer's attributes, sorted by name.
pub type Attributes = Vec<(Name, AttrValue)>;

#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Cmp {
    Eq,
    Ne,
    Ge,
    Le,
    Gt,
    Lt,
}

impl Cmp {
    fn holds<T: Ord>(self, a: T, b: T) -> bool {
        match self {
            Cmp::Eq => a == b,
            Cmp::Ne => a != b,
            Cmp::Ge => a >= b,
            Cmp::Le => a <= b,
            Cmp::Gt => a > b,
            Cmp::Lt => a < b,
        }
    }
}

/// Which skill a test reads.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SkillRef {
    /// A skill of the catalog.
    Fixed(Name),
    /// `group[customer.attr]`: the skill `group.<value>`.
    ByAttribute { group: Name, attr: Name },
}

/// A parsed requirement.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Expr {
    Any(Vec<Expr>),
    All(Vec<Expr>),
    Not(Box<Expr>),
    Skill { skill: SkillRef, cmp: Cmp, level: u8 },
    Attr { attr: Name, cmp: Cmp, value: AttrValue },
}

/// A requirement bound to one customer's attributes: tests of skill levels only.
/// Skills are catalog positions (`None`: not in the catalog, so level 0 for everyone).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Need {
    Const(bool),
    Any(Vec<Need>),
    All(Vec<Need>),
    Not(Box<Need>),
    Skill { skill: Option<u16>, cmp: Cmp, level: u8 },
}

/// A parse error: the 1-based column and what is wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    pub column: usize,
    pub message: String,
}

impl std::fmt::Display for ParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "at column {}: {}", self.column, self.message)
    }
}

#[derive(Clone, Debug, PartialEq)]
enum Tok {
    Name(String),
    Int(i64),
    Text(String),
    Op(&'static str),
}

fn tokens(src: &str) -> Result<Vec<(usize, Tok)>, ParseError> {
    let err = |at: usize, message: String| ParseError { column: src[..at].chars().count() + 1, message };
    if src.len() > MAX_REQUIREMENT {
        return Err(ParseError {
            column: MAX_REQUIREMENT + 1,
            message: format!("is {} bytes long, at most {MAX_REQUIREMENT}", src.len()),
        });
    }
    let bytes = src.as_bytes();
    if let Some(at) = (0..bytes.len())
        .find(|&i| bytes[i] == b'<' && bytes.get(i + 1).is_some_and(|c| c.is_ascii_alphabetic() || b"/!?".contains(c)))
    {
        return Err(err(at, "markup is not allowed in a requirement".into()));
    }
    let mut out = Vec::new();
    let mut chars = src.char_indices().peekable();
    while let Some(&(at, c)) = chars.peek() {
        if c.is_control() {
            return Err(err(at, "control characters are not allowed".into()));
        }
        if c.is_whitespace() {
            chars.next();
            continue;
        }
        if c.is_ascii_alphabetic() || c == '_' {
            let mut name = String::new();
            while let Some(&(_, c)) = chars.peek().filter(|(_, c)| c.is_ascii_alphanumeric() || "_-".contains(*c)) {
                name.push(c);
                chars.next();
            }
            out.push((at, Tok::Name(name)));
        } else if c.is_ascii_digit() || c == '-' {
            let mut text = String::from(c);
            chars.next();
            while let Some(&(_, d)) = chars.peek().filter(|(_, d)| d.is_ascii_digit()) {
                text.push(d);
                chars.next();
            }
            let n = text.parse::<i64>().map_err(|_| err(at, format!("'{text}' is not a number")))?;
            out.push((at, Tok::Int(n)));
        } else if c == '\'' || c == '"' {
            chars.next();
            let mut text = String::new();
            loop {
                match chars.next() {
                    Some((_, q)) if q == c => break,
                    Some((at, q)) if q.is_control() => {
                        return Err(err(at, "control characters are not allowed".into()))
                    }
                    Some((_, q)) => text.push(q),
                    None => return Err(err(at, "text not closed".into())),
                }
            }
            out.push((at, Tok::Text(text)));
        } else {
            let two = src.get(at..at + 2).unwrap_or("");
            let op = ["&&", "||", "==", "!=", ">=", "<="].into_iter().find(|op| *op == two);
            let op = match op {
                Some(op) => op,
                None => match c {
                    '(' => "(",
                    ')' => ")",
                    '[' => "[",
                    ']' => "]",
                    '.' => ".",
                    '!' => "!",
                    '>' => ">",
                    '<' => "<",
                    _ => return Err(err(at, format!("unexpected '{c}'"))),
                },
            };
            for _ in 0..op.len() {
                chars.next();
            }
            out.push((at, Tok::Op(op)));
        }
    }
    Ok(out)
}

/// What a name is checked against while parsing: is this a skill, a skill group?
pub trait Catalog {
    fn has_skill(&self, name: &str) -> bool;
    fn has_group(&self, group: &str) -> bool;
}

struct Parser<'a> {
    src: &'a str,
    toks: Vec<(usize, Tok)>,
    at: usize,
    depth: usize,
    tests: usize,
    catalog: &'a dyn Catalog,
}

/// Parses `src` against the app's skills.
pub fn parse(src: &str, catalog: &dyn Catalog) -> Result<Expr, ParseError> {
    let toks = tokens(src)?;
    if toks.is_empty() {
        return Err(ParseError { column: 1, message: "is empty".into() });
    }
    let mut p = Parser { src, toks, at: 0, depth: 0, tests: 0, catalog };
    let expr = p.any()?;
    if p.at < p.toks.len() {
        return Err(p.error_here("expected && or || here"));
    }
    Ok(expr)
}

impl Parser<'_> {
    fn column(&self, i: usize) -> usize {
        match self.toks.get(i) {
            Some((at, _)) => self.src[..*at].chars().count() + 1,
            None => self.src.chars().count() + 1,
        }
    }

    fn error_here(&self, message: &str) -> ParseError {
        let found = match self.toks.get(self.at) {
            None => "the end".to_string(),
            Some((_, Tok::Name(n))) => format!("'{n}'"),
            Some((_, Tok::Int(n))) => format!("'{n}'"),
            Some((_, Tok::Text(t))) => format!("'{t}'"),
            Some((_, Tok::Op(o))) => format!("'{o}'"),
        };
        ParseError { column: self.column(self.at), message: format!("{message} (found {found})") }
    }

    fn peek_op(&self, op: &str) -> bool {
        matches!(self.toks.get(self.at), Some((_, Tok::Op(o))) if *o == op)
    }

    fn expect_op(&mut self, op: &str) -> Result<(), ParseError> {
        if self.peek_op(op) {
            self.at += 1;
            Ok(())
        } else {
            Err(self.error_here(&format!("expected '{op}'")))
        }
    }

    fn name(&mut self, what: &str) -> Result<String, ParseError> {
        match self.toks.get(self.at) {
            Some((_, Tok::Name(n))) => {
                let n = n.clone();
                self.at += 1;
                Ok(n)
            }
            _ => Err(self.error_here(&format!("expected {what}"))),
        }
    }

    fn any(&mut self) -> Result<Expr, ParseError> {
        let mut parts = vec![self.all()?];
        while self.peek_op("||") {
            self.at += 1;
            parts.push(self.all()?);
        }
        Ok(if parts.len() == 1 { parts.pop().expect("one") } else { Expr::Any(parts) })
    }

    fn all(&mut self) -> Result<Expr, ParseError> {
        let mut parts = vec![self.one()?];
        while self.peek_op("&&") {
            self.at += 1;
            parts.push(self.one()?);
        }
        Ok(if parts.len() == 1 { parts.pop().expect("one") } else { Expr::All(parts) })
    }

    fn deeper(&mut self) -> Result<(), ParseError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(ParseError {
                column: self.column(self.at),
                message: format!("nested deeper than {MAX_DEPTH} levels"),
            });
        }
        Ok(())
    }

    fn one(&mut self) -> Result<Expr, ParseError> {
        if self.peek_op("!") {
            self.deeper()?;
            self.at += 1;
            let inner = self.one()?;
            self.depth -= 1;
            return Ok(Expr::Not(Box::new(inner)));
        }
        if self.peek_op("(") {
            self.deeper()?;
            self.at += 1;
            let inner = self.any()?;
            self.expect_op(")")?;
            self.depth -= 1;
            return Ok(inner);
        }
        self.tests += 1;
        if self.tests > MAX_TESTS {
            return Err(ParseError { column: self.column(self.at), message: format!("more than {MAX_TESTS} tests") });
        }
        let start = self.at;
        let first = self.name("a skill or customer.<attribute>")?;
        if first == "customer" {
            self.expect_op(".")?;
            let attr = self.attr_name()?;
            return self.attr_test(attr);
        }
        let skill = if self.peek_op("[") {
            self.at += 1;
            let at = self.at;
            if self.name("customer.<attribute>")? != "customer" {
                self.at = at;
                return Err(self.error_here("expected customer.<attribute>"));
            }
            self.expect_op(".")?;
            let attr = self.attr_name()?;
            self.expect_op("]")?;
            if !self.catalog.has_group(&first) {
                return Err(ParseError {
                    column: self.column(start),
                    message: format!("no skill of the app is named {first}.<something>"),
                });
            }
            SkillRef::ByAttribute { group: first.into(), attr }
        } else {
            let mut name = first;
            if self.peek_op(".") {
                self.at += 1;
                name = format!("{name}.{}", self.name("the rest of the skill's name")?);
            }
            if !self.catalog.has_skill(&name) {
                return Err(ParseError {
                    column: self.column(start),
                    message: format!("'{name}' is not a skill of the app"),
                });
            }
            SkillRef::Fixed(name.into())
        };
        let Some(cmp) = self.cmp() else { return Ok(Expr::Skill { skill, cmp: Cmp::Ge, level: 1 }) };
        match self.toks.get(self.at) {
            Some((_, Tok::Int(n))) if (0..=i64::from(MAX_LEVEL)).contains(n) => {
                let level = *n as u8;
                self.at += 1;
                Ok(Expr::Skill { skill, cmp, level })
            }
            _ => Err(self.error_here(&format!("expected a level 0..{MAX_LEVEL}"))),
        }
    }

    fn attr_name(&mut self) -> Result<Name, ParseError> {
        let name = self.name("an attribute's name")?;
        Ok(name.into())
    }

    fn cmp(&mut self) -> Option<Cmp> {
        let cmp = match self.toks.get(self.at) {
            Some((_, Tok::Op("=="))) => Cmp::Eq,
            Some((_, Tok::Op("!="))) => Cmp::Ne,
            Some((_, Tok::Op(">="))) => Cmp::Ge,
            Some((_, Tok::Op("<="))) => Cmp::Le,
            Some((_, Tok::Op(">"))) => Cmp::Gt,
            Some((_, Tok::Op("<"))) => Cmp::Lt,
            _ => return None,
        };
        self.at += 1;
        Some(cmp)
    }

    fn attr_test(&mut self, attr: Name) -> Result<Expr, ParseError> {
        let Some(cmp) = self.cmp() else { return Ok(Expr::Attr { attr, cmp: Cmp::Eq, value: AttrValue::Flag(true) }) };
        let value = match self.toks.get(self.at) {
            Some((_, Tok::Int(n))) => AttrValue::Number(*n),
            Some((_, Tok::Text(t))) => AttrValue::Text(t.as_str().into()),
            Some((_, Tok::Name(n))) if n == "true" || n == "false" => AttrValue::Flag(n == "true"),
            _ => return Err(self.error_here("expected a value: 'text', a number, true or false")),
        };
        if !matches!(value, AttrValue::Number(_)) && !matches!(cmp, Cmp::Eq | Cmp::Ne) {
            return Err(self.error_here("text and true/false compare only with == and !="));
        }
        self.at += 1;
        Ok(Expr::Attr { attr, cmp, value })
    }
}

impl Expr {
    /// Binds the requirement to a customer's attributes; `skill` finds a skill's
    /// catalog position.
    pub fn bind(&self, attrs: &[(Name, AttrValue)], skill: &dyn Fn(&str) -> Option<u16>) -> Need {
        let attr = |name: &Name| attrs.binary_search_by(|(k, _)| k.cmp(name)).ok().map(|i| &attrs[i].1);
        match self {
            // `true` decides an Any, `false` an All; the other constant drops out.
            Expr::Any(parts) => fold(parts.iter().map(|p| p.bind(attrs, skill)), true, Need::Any),
            Expr::All(parts) => fold(parts.iter().map(|p| p.bind(attrs, skill)), false, Need::All),
            Expr::Not(inner) => match inner.bind(attrs, skill) {
                Need::Const(b) => Need::Const(!b),
                need => Need::Not(Box::new(need)),
            },
            Expr::Skill { skill: r, cmp, level } => {
                let ix = match r {
                    SkillRef::Fixed(name) => skill(name),
                    SkillRef::ByAttribute { group, attr: a } => match attr(a) {
                        Some(AttrValue::Text(t)) => skill(&format!("{group}.{t}")),
                        Some(AttrValue::Number(n)) => skill(&format!("{group}.{n}")),
                        _ => None,
                    },
                };
                Need::Skill { skill: ix, cmp: *cmp, level: *level }
            }
            Expr::Attr { attr: a, cmp, value } => {
                let holds = match (attr(a), value) {
                    (Some(AttrValue::Number(x)), AttrValue::Number(y)) => cmp.holds(x, y),
                    (Some(x), y) if std::mem::discriminant(x) == std::mem::discriminant(y) => match cmp {
                        Cmp::Eq => x == y,
                        _ => x != y,
                    },
                    _ => *cmp == Cmp::Ne,
                };
                Need::Const(holds)
            }
        }
    }
}

/// Folds the bound parts of an Any (`decides` true) or an All (`decides` false).
fn fold(parts: impl Iterator<Item = Need>, decides: bool, make: fn(Vec<Need>) -> Need) -> Need {
    let mut kept = Vec::new();
    for part in parts {
        match part {
            Need::Const(b) if b == decides => return Need::Const(decides),
            Need::Const(_) => {}
            other => kept.push(other),
        }
    }
    if kept.is_empty() {
        Need::Const(!decides)
    } else {
        make(kept)
    }
}

impl Need {
    /// Whether an agent with these `levels` (catalog order; missing: 0) meets the need
    /// at relaxation `step` (1: every `>=`/`>` level lowered by [`RELAX_LEVELS`], a
    /// `>=` to no less than 1).
    pub fn met_by(&self, levels: &[u8], step: u8) -> bool {
        match self {
            Need::Const(b) => *b,
            Need::Any(parts) => parts.iter().any(|p| p.met_by(levels, step)),
            Need::All(parts) => parts.iter().all(|p| p.met_by(levels, step)),
            Need::Not(inner) => !inner.met_by(levels, step),
            Need::Skill { skill, cmp, level } => {
                let have = skill.and_then(|ix| levels.get(usize::from(ix)).copied()).unwrap_or(0);
                let want = match (step, cmp) {
                    (0, _) => *level,
                    (_, Cmp::Ge) if *level > 0 => level.saturating_sub(RELAX_LEVELS).max(1),
                    (_, Cmp::Gt) => level.saturating_sub(RELAX_LEVELS),
                    _ => *level,
                };
                cmp.holds(have, want)
            }
        }
    }
}
