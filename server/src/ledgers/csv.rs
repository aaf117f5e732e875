//! A ledger as CSV: UTF-8 with a byte-order mark, so that Excel opens the Chinese as Chinese.
//! The title and the unit line come first, one cell each, then the header rows, the body, the
//! totals, the notes and the signature lines.

use super::document::Document;

/// UTF-8's byte-order mark.
pub const BOM: &[u8] = b"\xEF\xBB\xBF";

pub fn write(doc: &Document) -> Result<Vec<u8>, csv::Error> {
    let mut out = csv::WriterBuilder::new()
        .flexible(true)
        .from_writer(BOM.to_vec());
    out.write_record([&doc.title])?;
    out.write_record([&doc.subtitle()])?;
    for h in &doc.header_rows {
        out.write_record(h)?;
    }
    for row in doc.rows.iter().chain(&doc.totals) {
        out.write_record(row.iter().map(|c| c.as_text()))?;
    }
    for n in &doc.notes {
        out.write_record([n])?;
    }
    if !doc.signatures.is_empty() {
        out.write_record(&doc.signatures)?;
    }
    out.into_inner().map_err(|e| e.into_error().into())
}
