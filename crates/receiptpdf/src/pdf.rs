//! PDF serialisation of laid-out operations with `pdf-writer`.

use miniz_oxide::deflate::compress_to_vec_zlib;
use pdf_writer::types::{CidFontType, FontFlags, SystemInfo, UnicodeCmap};
use pdf_writer::{Content, Filter, Finish, Name, Pdf, Rect, Ref, Str, TextStr};

use crate::Error;
use crate::font::{Font, Fonts, Style};
use crate::layout::{CONTENT_WIDTH, Op, PAGE_WIDTH};

const COMPRESSION: u8 = 6;

fn font_name(style: Style) -> Name<'static> {
    match style {
        Style::Regular => Name(b"F1"),
        Style::Bold => Name(b"F2"),
    }
}

/// Content stream; also encodes text so the fonts learn which glyphs are used.
fn content(fonts: &mut Fonts, ops: &[Op], height: f32) -> Vec<u8> {
    let mut c = Content::new();
    let margin_x = (PAGE_WIDTH - CONTENT_WIDTH) / 2.0;
    // Rules.
    let rules: Vec<f32> = ops
        .iter()
        .filter_map(|op| match op {
            Op::Rule { y } => Some(*y),
            _ => None,
        })
        .collect();
    if !rules.is_empty() {
        c.save_state();
        c.set_line_width(0.5);
        c.set_dash_pattern([2.0, 1.5], 0.0);
        for y in rules {
            c.move_to(margin_x, height - y);
            c.line_to(margin_x + CONTENT_WIDTH, height - y);
        }
        c.stroke();
        c.restore_state();
    }
    // QR modules.
    let mut any_rect = false;
    for op in ops {
        if let Op::Rect { x, y, w, h } = op {
            c.rect(*x, height - y - h, *w, *h);
            any_rect = true;
        }
    }
    if any_rect {
        c.fill_nonzero();
    }
    // Text.
    let mut in_text = false;
    let mut current: Option<(Style, f32)> = None;
    for op in ops {
        if let Op::Text {
            style,
            size,
            x,
            y,
            text,
        } = op
        {
            if !in_text {
                c.begin_text();
                in_text = true;
            }
            if current != Some((*style, *size)) {
                c.set_font(font_name(*style), *size);
                current = Some((*style, *size));
            }
            c.set_text_matrix([1.0, 0.0, 0.0, 1.0, *x, height - y]);
            let bytes = fonts.get_mut(*style).encode(text);
            c.show(Str(&bytes));
        }
    }
    if in_text {
        c.end_text();
    }
    c.finish().to_vec()
}

/// Writes a Type0 / CIDFontType2 font with its subset, widths and ToUnicode.
fn write_font(pdf: &mut Pdf, font: &Font, alloc: &mut Ref) -> Result<Ref, Error> {
    let type0 = alloc.bump();
    let cid = alloc.bump();
    let descriptor = alloc.bump();
    let file = alloc.bump();
    let cmap_ref = alloc.bump();

    let name = font.subset_name();
    let base = Name(name.as_bytes());
    let info = SystemInfo {
        registry: Str(b"Adobe"),
        ordering: Str(b"Identity"),
        supplement: 0,
    };

    pdf.type0_font(type0)
        .base_font(base)
        .encoding_predefined(Name(b"Identity-H"))
        .descendant_font(cid)
        .to_unicode(cmap_ref);

    let widths = font.subset_widths();
    let mut cid_font = pdf.cid_font(cid);
    cid_font
        .subtype(CidFontType::Type2)
        .base_font(base)
        .system_info(info)
        .font_descriptor(descriptor)
        .cid_to_gid_map_predefined(Name(b"Identity"));
    cid_font.widths().consecutive(0, widths);
    cid_font.finish();

    let face = &font.face;
    let bbox = face.global_bounding_box();
    let s = |v: i16| font.to_pdf_units(f32::from(v));
    let ascent = s(face.ascender());
    let descent = s(face.descender());
    let cap = s(face.capital_height().unwrap_or(face.ascender()));
    pdf.font_descriptor(descriptor)
        .name(base)
        .flags(FontFlags::NON_SYMBOLIC)
        .bbox(Rect::new(
            s(bbox.x_min),
            s(bbox.y_min),
            s(bbox.x_max),
            s(bbox.y_max),
        ))
        .italic_angle(0.0)
        .ascent(ascent)
        .descent(descent)
        .cap_height(cap)
        .stem_v(if font.base_name.ends_with("Bold") {
            140.0
        } else {
            80.0
        })
        .font_file2(file);

    let subset = font.subset()?;
    let packed = compress_to_vec_zlib(&subset, COMPRESSION);
    pdf.stream(file, &packed).filter(Filter::FlateDecode).pair(
        Name(b"Length1"),
        i32::try_from(subset.len()).unwrap_or(i32::MAX),
    );

    let mut cmap = UnicodeCmap::new(Name(b"Adobe-Identity-UCS"), info);
    for (gid, c) in font.unicode_pairs() {
        cmap.pair(gid, c);
    }
    let cmap_data = compress_to_vec_zlib(&cmap.finish(), COMPRESSION);
    let mut cmap_stream = pdf.cmap(cmap_ref, &cmap_data);
    cmap_stream
        .name(Name(b"Adobe-Identity-UCS"))
        .system_info(info);
    cmap_stream.filter(Filter::FlateDecode);
    Ok(type0)
}

pub(crate) fn write(
    fonts: &mut Fonts,
    ops: &[Op],
    height: f32,
    title: &str,
) -> Result<Vec<u8>, Error> {
    let mut alloc = Ref::new(1);
    let catalog = alloc.bump();
    let pages = alloc.bump();
    let page = alloc.bump();
    let contents = alloc.bump();
    let info = alloc.bump();

    let mut pdf = Pdf::new();
    pdf.set_version(1, 7);

    let raw = content(fonts, ops, height);
    let packed = compress_to_vec_zlib(&raw, COMPRESSION);
    pdf.stream(contents, &packed).filter(Filter::FlateDecode);

    let mut font_refs = Vec::new();
    for style in [Style::Regular, Style::Bold] {
        let font = fonts.get(style);
        if font.used() {
            font_refs.push((font_name(style), write_font(&mut pdf, font, &mut alloc)?));
        }
    }

    pdf.catalog(catalog).pages(pages);
    pdf.pages(pages).kids([page]).count(1);
    let mut p = pdf.page(page);
    p.parent(pages)
        .media_box(Rect::new(0.0, 0.0, PAGE_WIDTH, height))
        .contents(contents);
    let mut resources = p.resources();
    let mut font_dict = resources.fonts();
    for (name, r) in &font_refs {
        font_dict.pair(*name, *r);
    }
    font_dict.finish();
    resources.finish();
    p.finish();

    let title = crate::layout::clean(title);
    let mut doc_info = pdf.document_info(info);
    if !title.is_empty() {
        doc_info.title(TextStr(&title));
    }
    doc_info.producer(TextStr("Halong receiptpdf"));
    doc_info.finish();

    Ok(pdf.finish())
}
