//! One table shape for every ledger: a title, the unit it is filled in for, the period, header
//! rows, body rows, totals and signature lines. Every writer renders this shape, so a new
//! document is a new builder, never a new writer.

/// One cell of a ledger.
#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    Text(String),
    /// A count or a number of hours: a number in a spreadsheet, so that it sums.
    Number(f64),
    Empty,
}

impl Cell {
    pub fn text(s: impl Into<String>) -> Self {
        Cell::Text(s.into())
    }

    /// A count.
    pub fn count(n: impl Into<u64>) -> Self {
        Cell::Number(n.into() as f64)
    }

    /// Hours to one decimal, as the offices write them (8.5).
    pub fn hours(d: chrono::Duration) -> Self {
        Cell::Number(round1(d.num_seconds() as f64 / 3600.0))
    }

    /// The cell as text, as the CSV writer and the tests read it: numbers without a trailing
    /// `.0` (a count of 4 reads `4`).
    pub fn as_text(&self) -> String {
        match self {
            Cell::Text(s) => s.clone(),
            Cell::Number(n) => number_text(*n),
            Cell::Empty => String::new(),
        }
    }
}

/// `4` for 4.0, `8.5` for 8.5.
pub fn number_text(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        format!("{n}")
    }
}

/// To one decimal exactly as `{:.1}` prints it, so that a ledger's hours read as the
/// verdicts' details write them.
pub fn round1(x: f64) -> f64 {
    format!("{x:.1}").parse().unwrap_or(x)
}

/// A generated ledger (台账), ready for any writer.
#[derive(Clone, Debug, PartialEq)]
pub struct Document {
    /// 石门村领导挂联工作月台账
    pub title: String,
    /// 填报单位：通江县青峰乡石门村
    pub unit: String,
    /// 2026年11月
    pub period: String,
    /// One or more rows of column headings; every row has one heading per column.
    pub header_rows: Vec<Vec<String>>,
    pub rows: Vec<Vec<Cell>>,
    /// Rows under the body: sums and the verdicts they are held against.
    pub totals: Vec<Vec<Cell>>,
    /// Lines printed under the table: how to read it, where it goes.
    pub notes: Vec<String>,
    /// 填表人、审核人、盖章、日期: printed under the table, each with room to sign.
    pub signatures: Vec<String>,
    /// Column widths in characters, one per column.
    pub widths: Vec<f64>,
    /// Wide tables (a day per column) print across the page.
    pub landscape: bool,
    /// The file's name without extension: 石门村_领导挂联工作月台账_2026-11.
    pub file_stem: String,
}

impl Document {
    pub fn columns(&self) -> usize {
        self.widths.len()
    }

    /// The rows of the body whose first cell is `key`, as text: for finding a person's row.
    pub fn rows_where(&self, col: usize, key: &str) -> Vec<&Vec<Cell>> {
        self.rows
            .iter()
            .filter(|r| r.get(col).is_some_and(|c| c.as_text() == key))
            .collect()
    }

    /// The line printed under the title: unit and period.
    pub fn subtitle(&self) -> String {
        format!("{}　　时间：{}", self.unit, self.period)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_as_offices_write_them() {
        assert_eq!(Cell::count(4u32).as_text(), "4");
        assert_eq!(Cell::hours(chrono::Duration::minutes(510)).as_text(), "8.5");
        assert_eq!(Cell::hours(chrono::Duration::minutes(20)).as_text(), "0.3");
        assert_eq!(Cell::Empty.as_text(), "");
    }
}
