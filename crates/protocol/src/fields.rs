//! Error texts about a client's fields: which field is wrong and what it must be, and
//! never more than a short excerpt of what the client sent.

use serde_json::Value;

/// Longest excerpt of client input an error text carries.
pub const MAX_ECHO: usize = 64;

/// `s` cut to [`MAX_ECHO`] characters ("…" marks a cut).
pub fn clip(s: &str) -> String {
    match s.char_indices().nth(MAX_ECHO) {
        Some((at, _)) => format!("{}…", &s[..at]),
        None => s.to_string(),
    }
}

/// The rule of each numeric field a client sends, as the error texts say it. Fields
/// not listed are described by their type.
pub const FIELD_RULES: &[(&str, &str)] = &[
    // REST: queues (CloudRoom Web API), paging, app settings
    ("Priority", "an integer from 1 to 10"),
    ("MaxWaitSeconds", "an integer from 0 to 604800 (0: no limit)"),
    ("MaxLength", "an integer from 0 to 100000000 (0: no limit)"),
    ("WrapUpSeconds", "an integer from 0 to 3600"),
    ("PageNumber", "an integer from 1 to 4294967295"),
    ("PageSize", "an integer from 1 to 50"),
    ("QueueID", "an integer from 1 to 4294967295"),
    ("toQueID", "an integer from 1 to 4294967295"),
    ("holdSeconds", "an integer from 0 to 86400"),
    ("offerTimeoutSeconds", "an integer from 1 to 3600"),
    ("noticeIntervalMs", "an integer from 0 to 60000"),
    ("serviceLevelSeconds", "an integer from 1 to 86400"),
    ("reofferDelaySeconds", "an integer from 0 to 3600"),
    ("callTimeoutSeconds", "an integer from 1 to 3600"),
    ("expireSeconds", "an integer from 1 to 2592000"),
    // WebSocket ops
    ("queID", "an integer from 1 to 4294967295"),
    ("priority", "an integer from 0 to 1000"),
    ("capacity", "an integer from 1 to 50"),
    ("limit", "an integer from 1 to 1000"),
    ("offset", "an integer from 0 to 4294967295"),
    ("DNDStatus", "0 or 1"),
    ("meetID", "an integer from 1 to 4294967295"),
];

/// What serde's "expected …" means, in words.
fn expected_in_words(expected: &str) -> String {
    let words = match expected {
        "u8" => "an integer from 0 to 255",
        "u16" => "an integer from 0 to 65535",
        "u32" => "an integer from 0 to 4294967295",
        "u64" => "an integer from 0 to 18446744073709551615",
        "i32" | "i64" => "an integer",
        "a boolean" => "true or false",
        other => return other.to_string(),
    };
    words.to_string()
}

/// serde's message without its " at line L column C" tail.
fn without_position(msg: &str) -> &str {
    match msg.rfind(" at line ") {
        Some(at) if msg[at..].contains(" column ") => &msg[..at],
        _ => msg,
    }
}

fn is_value_error(msg: &str) -> bool {
    msg.starts_with("invalid type") || msg.starts_with("invalid value") || msg.starts_with("invalid length")
}

/// The error text for a JSON object that did not parse: for a wrong type or value,
/// `"<field>: must be <rule>, not <excerpt>"`, found by taking each field away in turn
/// (`parse` is the strict parse that failed); any other error as serde says it.
pub fn field_error(value: &Value, err: &serde_json::Error, parse: impl Fn(&Value) -> Result<(), serde_json::Error>) -> String {
    let full = err.to_string();
    let msg = without_position(&full);
    if !is_value_error(msg) {
        return clip_tail(&full);
    }
    let Value::Object(map) = value else { return clip_tail(msg) };
    for (key, v) in map {
        if key == "op" || key == "seq" {
            continue;
        }
        let mut without = map.clone();
        without.remove(key);
        let culprit = match parse(&Value::Object(without)) {
            Ok(()) => true,
            Err(e) => !is_value_error(without_position(&e.to_string())),
        };
        if culprit {
            let rule = FIELD_RULES
                .iter()
                .find(|(f, _)| f == key)
                .map(|(_, r)| r.to_string())
                .or_else(|| msg.rsplit_once(", expected ").map(|(_, e)| expected_in_words(e)))
                .unwrap_or_else(|| "of another type".into());
            return format!("{}: must be {rule}, not {}", clip(key), clip(&v.to_string()));
        }
    }
    clip_tail(msg)
}

/// A serde message with any echoed input cut short (its structure stays readable).
fn clip_tail(msg: &str) -> String {
    if msg.chars().count() <= 4 * MAX_ECHO {
        msg.to_string()
    } else {
        clip(msg)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Body {
        #[serde(rename = "MaxLength")]
        max_length: Option<u32>,
        name: Option<String>,
        flag: Option<bool>,
    }

    fn check(json: &str) -> String {
        let v: Value = serde_json::from_str(json).unwrap();
        let err = serde_json::from_value::<Body>(v.clone()).err().unwrap();
        field_error(&v, &err, |v| serde_json::from_value::<Body>(v.clone()).map(|_| ()))
    }

    #[test]
    fn the_wrong_field_is_named_with_its_rule() {
        assert_eq!(check(r#"{"name":"a","MaxLength":-1}"#), "MaxLength: must be an integer from 0 to 100000000 (0: no limit), not -1");
        assert_eq!(check(r#"{"MaxLength":1,"name":7}"#), "name: must be a string, not 7");
        assert_eq!(check(r#"{"flag":"yes"}"#), "flag: must be true or false, not \"yes\"");
        assert!(check(r#"{"nope":1}"#).starts_with("unknown field `nope`"));
    }

    #[test]
    fn echoes_are_short() {
        let long = "x".repeat(10_000);
        assert_eq!(clip(&long).chars().count(), MAX_ECHO + 1);
        let text = check(&format!(r#"{{"name":"{long}","flag":1}}"#));
        assert!(text.len() < 200, "{text}");
        assert_eq!(clip("short"), "short");
    }
}
