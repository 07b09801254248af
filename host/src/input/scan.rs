//! Where JSON values end, found without reading them: strings are skipped to their closing quote
//! and brackets counted. Nothing here checks what it skips; whatever is found is read by
//! serde_json afterwards, which does. This is what lets the fast path find a period's lists, cut
//! them into pieces between records and count the records, in one pass over the text.

/// JSON's white space.
fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

/// The index of the first byte at or after `i` that is not white space.
pub(super) fn skip_space(text: &[u8], mut i: usize) -> usize {
    while text.get(i).is_some_and(|&b| is_space(b)) {
        i += 1;
    }
    i
}

/// Past the string whose opening quote is at `i`; `None` if it never closes. (A byte loop: a
/// period's strings are short; a vectorised search per string measured no faster.)
pub(super) fn string_end(text: &[u8], i: usize) -> Option<usize> {
    let mut at = i + 1;
    loop {
        match *text.get(at)? {
            b'"' => return Some(at + 1),
            // A backslash escapes the byte after it (the four hex digits of `\u` need no care).
            b'\\' => at += 2,
            _ => at += 1,
        }
    }
}

/// Past the value starting at `i`, calling `comma(at)` for each comma directly inside it (between
/// the elements of a list, or the members of an object). `None` when there is no value at `i`,
/// or the text ends before it does.
pub(super) fn value_end(text: &[u8], i: usize, mut comma: impl FnMut(usize)) -> Option<usize> {
    match *text.get(i)? {
        b'"' => string_end(text, i),
        b'{' | b'[' => {
            let mut depth = 0usize;
            let mut at = i;
            loop {
                match *text.get(at)? {
                    b'"' => {
                        at = string_end(text, at)?;
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return Some(at + 1);
                        }
                    }
                    b',' if depth == 1 => comma(at),
                    _ => {}
                }
                at += 1;
            }
        }
        // A number or a literal ends at what follows it.
        _ => {
            let rest = &text[i..];
            let len = rest.iter().position(|&b| matches!(b, b',' | b':' | b'}' | b']') || is_space(b));
            let len = len.unwrap_or(rest.len());
            (len > 0).then_some(i + len)
        }
    }
}

/// A list's elements, in pieces of about `piece` bytes cut between elements: each piece's text
/// (elements and the commas between them) and how many elements it holds.
pub(super) type Pieces<'a> = Vec<(&'a [u8], usize)>;

/// The list whose `[` is at `i`: past its `]`, and its elements in pieces. `None` when the
/// value at `i` is not a list that closes.
pub(super) fn list(text: &[u8], i: usize, piece: usize) -> Option<(usize, Pieces<'_>)> {
    if text.get(i) != Some(&b'[') {
        return None;
    }
    let mut pieces = Vec::new();
    let (mut start, mut count) = (i + 1, 1);
    let end = value_end(text, i, |at| {
        if at - start >= piece {
            pieces.push((&text[start..at], count));
            (start, count) = (at + 1, 0);
        }
        count += 1;
    })?;
    if text[end - 1] != b']' {
        return None;
    }
    let last = &text[start..end - 1];
    // The last piece: `count` elements, or none in an empty list.
    let empty = last.iter().all(|&b| is_space(b));
    if !(empty && pieces.is_empty() && count == 1) {
        pieces.push((last, count));
    }
    Some((end, pieces))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_end_where_json_says() {
        fn end(text: &str) -> Option<&str> {
            value_end(text.as_bytes(), 0, |_| {}).map(|e| &text[..e])
        }
        assert_eq!(end(r#""a\"b\\" , 1"#), Some(r#""a\"b\\""#));
        assert_eq!(end(r#"{"a": [1, "]"], "b": {}} ,"#), Some(r#"{"a": [1, "]"], "b": {}}"#));
        assert_eq!(end("12.5e3, 2"), Some("12.5e3"));
        assert_eq!(end("true}"), Some("true"));
        assert_eq!(end(r#""open"#), None);
        assert_eq!(end("[1, 2"), None);
        assert_eq!(end("]"), None);
        assert_eq!(end(","), None);
    }

    #[test]
    fn commas_inside_strings_and_nested_values_are_not_between_elements() {
        let text = br#"[{"a": "x,y"}, [1, 2], "\",", 3]"#;
        let mut commas = Vec::new();
        assert_eq!(value_end(text, 0, |at| commas.push(at)), Some(text.len()));
        assert_eq!(commas.len(), 3);
        assert!(commas.iter().all(|&at| text[at] == b','));
    }

    #[test]
    fn a_list_is_cut_between_elements() {
        let text = br#"[ {"a": 1}, {"b": "},{"}, {"c": [1,2]} , 4 ] tail"#;
        for piece in [0, 1, 5, 12, 100] {
            let (end, pieces) = list(text, 0, piece).unwrap();
            assert_eq!(&text[end..], b" tail");
            assert_eq!(pieces.iter().map(|(_, n)| n).sum::<usize>(), 4, "piece {piece}: {pieces:?}");
            let joined: Vec<&[u8]> = pieces.iter().map(|(p, _)| *p).collect();
            assert_eq!(joined.join(&b","[..]), &text[1..end - 1]);
        }
        assert_eq!(list(text, 0, 1).unwrap().1.len(), 4);
        assert_eq!(list(b"[ ]", 0, 1), Some((3, vec![])));
        assert_eq!(list(b"[]", 0, 1), Some((2, vec![])));
        assert_eq!(list(b"{}", 0, 1), None);
        assert_eq!(list(b"[1}", 0, 1), None);
    }
}
