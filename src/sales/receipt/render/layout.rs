//! Laying text out on the receipt: word wrap, a label beside its
//! right-aligned amount, centring, and making tenant text safe to print
//! or to put in HTML.

/// `label` on the left (wrapped when long) and `amount` right-aligned on the
/// first line, all within `width` characters, each line starting with
/// `indent`.
pub(super) fn label_and_amount(
    indent: &str,
    label: &str,
    amount: &str,
    width: usize,
) -> Vec<String> {
    let amount: String = clean(amount).chars().take(width).collect();
    let amount_len = amount.chars().count();
    let inner = width.saturating_sub(indent.len()).max(1);
    // Room for the label beside the amount, keeping one space between them.
    let beside = width.saturating_sub(indent.len() + amount_len + 1);
    if beside == 0 {
        // No room for any label beside the amount: label lines, then the
        // amount on a line of its own.
        let mut lines: Vec<String> = wrap(label, inner, inner)
            .into_iter()
            .map(|line| format!("{indent}{line}"))
            .collect();
        lines.push(format!("{amount:>width$}"));
        return lines;
    }
    let mut labels = wrap(label, beside, inner).into_iter();
    let first = format!("{indent}{}", labels.next().unwrap_or_default());
    let pad = width.saturating_sub(first.chars().count() + amount_len);
    let mut lines = vec![format!("{first}{}{amount}", " ".repeat(pad))];
    lines.extend(labels.map(|line| format!("{indent}{line}")));
    lines
}

/// Greedy word wrap: the first line holds at most `first` chars, the others
/// at most `rest`. Words longer than a line are cut hard. Always returns at
/// least one (possibly empty) line.
pub(super) fn wrap(text: &str, first: usize, rest: usize) -> Vec<String> {
    let text = clean(text);
    let mut lines = Vec::new();
    let mut current = String::new();
    let mut current_len = 0;
    let limit = |lines: &Vec<String>| if lines.is_empty() { first } else { rest }.max(1);
    for word in text.split_whitespace() {
        let mut word: Vec<char> = word.chars().collect();
        loop {
            let max = limit(&lines);
            let gap = usize::from(current_len > 0);
            if current_len + gap + word.len() <= max {
                if gap == 1 {
                    current.push(' ');
                }
                current.extend(word.iter());
                current_len += gap + word.len();
                break;
            }
            if current_len > 0 {
                lines.push(std::mem::take(&mut current));
                current_len = 0;
                continue;
            }
            // The word alone is longer than a line: cut it.
            let rest_of_word = word.split_off(max);
            lines.push(word.into_iter().collect());
            word = rest_of_word;
        }
    }
    if current_len > 0 || lines.is_empty() {
        lines.push(current);
    }
    lines
}

/// Centers a line that already fits; no trailing padding.
pub(super) fn center(line: &str, width: usize) -> String {
    let pad = width.saturating_sub(line.chars().count()) / 2;
    format!("{}{line}", " ".repeat(pad))
}

/// Control characters (newlines, tabs, escapes) in tenant-entered text would
/// break the printer's layout or drive it; they print as spaces.
pub(super) fn clean(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// Escapes text for HTML element content and quoted attribute values.
pub(super) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}
