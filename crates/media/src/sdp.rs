//! What is wrong with an SDP a member sent, in one line for its error reply: the first
//! line that is not `<type>=<value>`, a line the session must have and lacks, or the
//! parser's own word with nothing of its insides (positions in memory, multi-line
//! traces). Everything quoted from the SDP is clipped.

/// Characters of the SDP quoted at most.
const QUOTE: usize = 40;

fn clip(text: &str) -> String {
    let mut out: String = text.chars().take(QUOTE).collect();
    if text.chars().count() > QUOTE {
        out.push('…');
    }
    out
}

/// Why `sdp` could not be read; `parser` is what the parser said (kept only when it
/// is one plain line).
pub fn problem(sdp: &str, parser: &str) -> String {
    if sdp.trim().is_empty() {
        return "it is empty".into();
    }
    for (i, line) in sdp.lines().enumerate() {
        let line = line.trim_end_matches('\r');
        if line.is_empty() {
            continue;
        }
        let b = line.as_bytes();
        if b.len() < 2 || !b[0].is_ascii_lowercase() || b[1] != b'=' {
            return format!("line {}: expected <type>=<value>, got '{}'", i + 1, clip(line));
        }
    }
    if !sdp.trim_start().starts_with("v=") {
        return "line 1: the first line must be 'v=0'".into();
    }
    for (prefix, what) in [("o=", "origin"), ("s=", "session name"), ("t=", "timing"), ("m=", "media")] {
        if !sdp.lines().any(|l| l.starts_with(prefix)) {
            return format!("no '{prefix}' ({what}) line");
        }
    }
    let plain = !parser.contains('\n') && !parser.contains("0x") && !parser.contains("Pointer") && parser.len() <= 120;
    if plain && !parser.is_empty() {
        parser.to_string()
    } else {
        "a line's value could not be read (check the m=, a=rtpmap, a=fingerprint and a=ice- lines)".into()
    }
}

#[cfg(test)]
mod tests {
    use super::problem;

    #[test]
    fn each_problem_is_one_line_naming_what_is_wrong_without_the_parsers_insides() {
        let insides = "Parse error at PointerOffset(0x7f87a1b2c3d4)\nUnexpected `x`\nExpected `=`";
        assert_eq!(problem("", insides), "it is empty");
        assert_eq!(problem("v=0\r\nhello world\r\n", insides), "line 2: expected <type>=<value>, got 'hello world'");
        assert_eq!(problem("o=- 1 1 IN IP4 0.0.0.0\r\n", insides), "line 1: the first line must be 'v=0'");
        assert_eq!(problem("v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\n", insides), "no 't=' (timing) line");
        let garbled = "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\nm=audio nine UDP/TLS/RTP/SAVPF 111\r\n";
        let said = problem(garbled, insides);
        assert!(said.starts_with("a line's value could not be read"), "{said}");
        let long = format!("v=0\r\n<script>{}\r\n", "x".repeat(500));
        let said = problem(&long, insides);
        assert!(said.len() < 100 && !said.contains('\n'), "{said}");
        for said in [problem("", insides), said, problem(garbled, insides)] {
            assert!(!said.contains("0x") && !said.contains("Pointer") && !said.contains('\n'), "{said}");
        }
    }
}
