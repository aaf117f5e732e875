//! A ledger as an XLSX workbook an office prints as it is: A4, the title merged over the
//! table, the header rows repeated on every printed page, one page wide, page numbers in the
//! footer, notes and signature lines under the table.

use super::document::{Cell, Document};
use rust_xlsxwriter::{Format, FormatAlign, FormatBorder, Workbook, Worksheet, XlsxError};

/// Paper size index of A4 in the spreadsheet format.
const A4: u8 = 9;

/// The row (zero-based) of the first header row: after the title and the unit line.
pub const HEADER_ROW: u32 = 2;

/// The workbook's bytes, one sheet named `sheet`.
pub fn write(doc: &Document, sheet: &str) -> Result<Vec<u8>, XlsxError> {
    let mut book = Workbook::new();
    let ws = book.add_worksheet();
    ws.set_name(sheet)?;
    lay_out(ws, doc)?;
    book.save_to_buffer()
}

fn lay_out(ws: &mut Worksheet, doc: &Document) -> Result<(), XlsxError> {
    let cols = doc.columns().max(1);
    let last_col = (cols - 1) as u16;
    let title = Format::new()
        .set_bold()
        .set_font_size(16)
        .set_align(FormatAlign::Center)
        .set_align(FormatAlign::VerticalCenter);
    let plain = Format::new().set_align(FormatAlign::Left);
    let head = Format::new()
        .set_bold()
        .set_border(FormatBorder::Thin)
        .set_text_wrap()
        .set_align(FormatAlign::Center)
        .set_align(FormatAlign::VerticalCenter)
        .set_background_color("#E7E6E6");
    let body = Format::new()
        .set_border(FormatBorder::Thin)
        .set_text_wrap()
        .set_align(FormatAlign::VerticalCenter);
    let total = body.clone().set_bold();
    let note = Format::new().set_text_wrap().set_align(FormatAlign::Left);

    ws.set_row_height(0, 30)?;
    merged(ws, 0, last_col, &doc.title, &title)?;
    merged(ws, 1, last_col, &doc.subtitle(), &plain)?;

    let mut row = HEADER_ROW;
    let header_n = doc.header_rows.len() as u32;
    for (k, headings) in doc.header_rows.iter().enumerate() {
        let r = row + k as u32;
        for (c, h) in headings.iter().enumerate() {
            let col = c as u16;
            // A heading with nothing under it spans the header rows.
            match (k, spans_header_rows(doc, c)) {
                (0, true) => {
                    ws.merge_range(r, col, r + header_n - 1, col, h, &head)?;
                }
                (_, true) => {}
                (_, false) => {
                    ws.write_string_with_format(r, col, h, &head)?;
                }
            }
        }
    }
    if header_n > 0 {
        ws.set_repeat_rows(row, row + header_n - 1)?;
    }
    row += header_n;
    for cells in &doc.rows {
        write_row(ws, row, cells, &body)?;
        row += 1;
    }
    for cells in &doc.totals {
        write_row(ws, row, cells, &total)?;
        row += 1;
    }
    row += 1;
    for n in &doc.notes {
        merged(ws, row, last_col, n, &note)?;
        row += 1;
    }
    // Signature lines side by side under the table, each over its share of the width.
    if !doc.signatures.is_empty() {
        row += 1;
        let share = (cols / doc.signatures.len()).max(1);
        for (i, s) in doc.signatures.iter().enumerate() {
            let first = (i * share).min(cols - 1) as u16;
            let last = if i + 1 == doc.signatures.len() {
                last_col
            } else {
                ((i + 1) * share - 1).min(cols - 1) as u16
            };
            if last > first {
                ws.merge_range(row, first, row, last, s, &plain)?;
            } else {
                ws.write_string_with_format(row, first, s, &plain)?;
            }
        }
    }
    for (c, w) in doc.widths.iter().enumerate() {
        ws.set_column_width(c as u16, *w)?;
    }
    ws.set_paper_size(A4);
    if doc.landscape {
        ws.set_landscape();
    } else {
        ws.set_portrait();
    }
    ws.set_print_fit_to_pages(1, 0);
    ws.set_print_center_horizontally(true);
    ws.set_margins(0.5, 0.5, 0.6, 0.6, 0.3, 0.3);
    ws.set_footer("&C第 &P 页，共 &N 页");
    Ok(())
}

/// Whether column `c`'s first heading spans the header rows (nothing under it).
fn spans_header_rows(doc: &Document, c: usize) -> bool {
    doc.header_rows.len() > 1
        && doc.header_rows[1..]
            .iter()
            .all(|hr| hr.get(c).is_none_or(String::is_empty))
}

fn merged(
    ws: &mut Worksheet,
    row: u32,
    last_col: u16,
    text: &str,
    f: &Format,
) -> Result<(), XlsxError> {
    if last_col == 0 {
        ws.write_string_with_format(row, 0, text, f)?;
    } else {
        ws.merge_range(row, 0, row, last_col, text, f)?;
    }
    Ok(())
}

fn write_row(ws: &mut Worksheet, row: u32, cells: &[Cell], f: &Format) -> Result<(), XlsxError> {
    for (c, cell) in cells.iter().enumerate() {
        let col = c as u16;
        match cell {
            Cell::Text(s) => ws.write_string_with_format(row, col, s, f)?,
            Cell::Number(n) => ws.write_number_with_format(row, col, *n, f)?,
            Cell::Empty => ws.write_blank(row, col, f)?,
        };
    }
    Ok(())
}
