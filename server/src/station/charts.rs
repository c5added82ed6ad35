//! The dashboard's charts: SVG drawn by plotters, no script. Every bar and point carries
//! its number in a `<title>` (screen readers read it, a pointer shows it) and a
//! `data-key`, the chart scales to the page's width through its viewBox, and the colours
//! are Okabe and Ito's, which stay apart for colour-blind readers.

use std::cell::RefCell;
use std::rc::Rc;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters_backend::{
    BackendColor, BackendCoord, BackendStyle, BackendTextStyle, DrawingErrorKind,
};

/// Drawn at a phone's width; the viewBox lets the page scale it up or down.
const SIZE: (u32, u32) = (360, 230);

/// Text size as plotters counts it; its SVG writes it smaller by 1.24, about 12 px on a
/// phone.
const FONT: f64 = 15.0;

/// Okabe and Ito's colour-blind-safe palette, black left out (the axes are black).
pub const PALETTE: [RGBColor; 7] = [
    RGBColor(0, 114, 178),
    RGBColor(230, 159, 0),
    RGBColor(0, 158, 115),
    RGBColor(204, 121, 167),
    RGBColor(86, 180, 233),
    RGBColor(213, 94, 0),
    RGBColor(240, 228, 66),
];

/// One series of a chart: its code, its words and a value per category.
pub struct Series {
    pub key: String,
    pub label: String,
    pub values: Vec<u64>,
    pub colour: RGBColor,
    /// Drawn pale behind the others (last week behind this week).
    pub faint: bool,
}

/// What a chart shows: categories along x (code and words), series over them.
pub struct Chart<'a> {
    /// The `id` of the `<svg>` element.
    pub id: &'a str,
    /// What the chart shows, in words; read out before its bars.
    pub title: &'a str,
    pub categories: Vec<(String, String)>,
    pub series: Vec<Series>,
    /// Titles also give each value's share of its series' total.
    pub share: bool,
}

/// A titled mark waiting for the backend's next rectangle or circle.
struct Mark {
    key: String,
    series: String,
    title: String,
}

#[derive(Default)]
struct Marks {
    pending: Option<Mark>,
    rects: Vec<(usize, Mark)>,
    circles: Vec<(usize, Mark)>,
}

/// The SVG backend, counting the rectangles and circles it writes so that the marks
/// set before a bar or a point can be put on the element written for it afterwards.
struct Counting<'a> {
    svg: SVGBackend<'a>,
    rects: usize,
    circles: usize,
    marks: Rc<RefCell<Marks>>,
}

impl Counting<'_> {
    fn note(&mut self, circle: bool) {
        let mut m = self.marks.borrow_mut();
        if let Some(mark) = m.pending.take() {
            if circle {
                m.circles.push((self.circles, mark));
            } else {
                m.rects.push((self.rects, mark));
            }
        }
    }
}

type Err<'a> = DrawingErrorKind<<SVGBackend<'a> as DrawingBackend>::ErrorType>;

impl<'a> DrawingBackend for Counting<'a> {
    type ErrorType = <SVGBackend<'a> as DrawingBackend>::ErrorType;

    fn get_size(&self) -> (u32, u32) {
        self.svg.get_size()
    }
    fn ensure_prepared(&mut self) -> Result<(), Err<'a>> {
        self.svg.ensure_prepared()
    }
    fn present(&mut self) -> Result<(), Err<'a>> {
        self.svg.present()
    }
    fn draw_pixel(&mut self, p: BackendCoord, c: BackendColor) -> Result<(), Err<'a>> {
        self.svg.draw_pixel(p, c)
    }
    fn draw_line<S: BackendStyle>(
        &mut self,
        from: BackendCoord,
        to: BackendCoord,
        style: &S,
    ) -> Result<(), Err<'a>> {
        self.svg.draw_line(from, to, style)
    }
    fn draw_rect<S: BackendStyle>(
        &mut self,
        ul: BackendCoord,
        br: BackendCoord,
        style: &S,
        fill: bool,
    ) -> Result<(), Err<'a>> {
        // The SVG backend writes nothing for a transparent shape.
        if style.color().alpha > 0.0 {
            self.note(false);
            self.rects += 1;
        }
        self.svg.draw_rect(ul, br, style, fill)
    }
    fn draw_path<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        path: I,
        style: &S,
    ) -> Result<(), Err<'a>> {
        self.svg.draw_path(path, style)
    }
    fn draw_circle<S: BackendStyle>(
        &mut self,
        center: BackendCoord,
        radius: u32,
        style: &S,
        fill: bool,
    ) -> Result<(), Err<'a>> {
        if style.color().alpha > 0.0 {
            self.note(true);
            self.circles += 1;
        }
        self.svg.draw_circle(center, radius, style, fill)
    }
    fn fill_polygon<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        vert: I,
        style: &S,
    ) -> Result<(), Err<'a>> {
        self.svg.fill_polygon(vert, style)
    }
    fn draw_text<S: BackendTextStyle>(
        &mut self,
        text: &str,
        style: &S,
        pos: BackendCoord,
    ) -> Result<(), Err<'a>> {
        self.svg.draw_text(text, style, pos)
    }
    fn estimate_text_size<S: BackendTextStyle>(
        &self,
        text: &str,
        style: &S,
    ) -> Result<(u32, u32), Err<'a>> {
        self.svg.estimate_text_size(text, style)
    }
}

/// Escapes text for an SVG attribute or element.
fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Puts each mark's key and title on the n-th element of its kind, and makes the root
/// scale to its container.
fn finish(svg: String, chart: &Chart, marks: Marks) -> String {
    let mut out = String::with_capacity(svg.len() + marks.rects.len() * 80);
    let mut rects = marks.rects.into_iter().peekable();
    let mut circles = marks.circles.into_iter().peekable();
    let (mut nr, mut nc) = (0usize, 0usize);
    let mut rest = svg.as_str();
    while let Some(at) = rest.find('<') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let end = rest.find('>').map_or(rest.len(), |e| e + 1);
        let tag = &rest[..end];
        let mark = if tag.starts_with("<rect ") {
            nr += 1;
            rects
                .next_if(|(i, _)| *i == nr - 1)
                .map(|(_, m)| (m, "rect"))
        } else if tag.starts_with("<circle ") {
            nc += 1;
            circles
                .next_if(|(i, _)| *i == nc - 1)
                .map(|(_, m)| (m, "circle"))
        } else {
            None
        };
        if tag.starts_with("<svg ") {
            let view = tag
                .split_once("viewBox=\"")
                .and_then(|(_, v)| v.split('"').next())
                .unwrap_or("0 0 360 230");
            out.push_str(&format!(
                "<svg id=\"{}\" class=\"chart\" width=\"100%\" viewBox=\"{view}\" role=\"group\" \
                 aria-label=\"{t}\" xmlns=\"http://www.w3.org/2000/svg\"><title>{t}</title>",
                esc(chart.id),
                t = esc(chart.title)
            ));
        } else if let Some((m, name)) = mark {
            let open = tag.trim_end_matches('>').trim_end_matches('/');
            // The root is a group, not one image, so that each mark is read on its own,
            // named by its title.
            out.push_str(&format!(
                "{open} role=\"img\" data-key=\"{}\" data-series=\"{}\"><title>{}</title></{name}>",
                esc(&m.key),
                esc(&m.series),
                esc(&m.title)
            ));
        } else {
            out.push_str(tag);
        }
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

/// The title of one bar or point: what it counts and how many.
fn title(chart: &Chart, cat: usize, s: &Series, v: u64) -> String {
    let what = &chart.categories[cat].1;
    let share = match s.values.iter().sum::<u64>() {
        total if chart.share && total > 0 => format!(" ({}%)", (v * 100 + total / 2) / total),
        _ => String::new(),
    };
    if chart.series.len() > 1 && !s.label.is_empty() {
        format!("{what} · {}: {v}{share}", s.label)
    } else {
        format!("{what}: {v}{share}")
    }
}

type Area<'a> = DrawingArea<Counting<'a>, Shift>;

fn draw(
    chart: &Chart,
    height: u32,
    body: impl FnOnce(&Area, &Rc<RefCell<Marks>>) -> Result<(), String>,
) -> String {
    let marks = Rc::new(RefCell::new(Marks::default()));
    let mut buf = String::new();
    let rows = legend_rows(chart);
    let key_height = if rows.is_empty() {
        0
    } else {
        rows.len() as u32 * 17 + 6
    };
    let drawn = {
        let root = Counting {
            svg: SVGBackend::with_string(&mut buf, (SIZE.0, height + key_height)),
            rects: 0,
            circles: 0,
            marks: marks.clone(),
        }
        .into_drawing_area();
        let (plot, key) = root.split_vertically(height);
        root.fill(&WHITE)
            .map_err(|e| e.to_string())
            .and_then(|_| body(&plot, &marks))
            .and_then(|_| draw_legend(&key, &rows))
            .and_then(|_| root.present().map_err(|e| e.to_string()))
    };
    let marks = Rc::try_unwrap(marks)
        .ok()
        .expect("the drawing area is gone")
        .into_inner();
    match drawn {
        Ok(()) => finish(buf, chart, marks),
        // A chart that cannot be drawn leaves its table to tell the figures.
        Err(e) => {
            tracing::warn!(chart = chart.id, error = %e, "chart not drawn");
            String::new()
        }
    }
}

/// A bar chart: the series side by side in each category, or stacked when `stacked`.
pub fn bars(chart: &Chart, stacked: bool) -> String {
    let n = chart.categories.len().max(1);
    let top = (0..n)
        .map(|i| {
            let vals = chart
                .series
                .iter()
                .map(|s| s.values.get(i).copied().unwrap_or(0));
            if stacked {
                vals.sum()
            } else {
                vals.max().unwrap_or(0)
            }
        })
        .max()
        .unwrap_or(0);
    draw(chart, SIZE.1, |root, marks| {
        let mut c = frame(root, chart, n, top)?;
        let m = chart.series.len().max(1) as f64;
        for (si, s) in chart.series.iter().enumerate() {
            for (ci, &v) in s.values.iter().enumerate() {
                if v == 0 {
                    continue;
                }
                let (x0, x1, y0) = if stacked {
                    let below: u64 = chart.series[..si]
                        .iter()
                        .map(|o| o.values.get(ci).copied().unwrap_or(0))
                        .sum();
                    (ci as f64 - 0.35, ci as f64 + 0.35, below)
                } else {
                    let w = 0.8 / m;
                    let x0 = ci as f64 - 0.4 + w * si as f64;
                    (x0, x0 + w, 0)
                };
                marks.borrow_mut().pending = Some(Mark {
                    key: chart.categories[ci].0.clone(),
                    series: s.key.clone(),
                    title: title(chart, ci, s, v),
                });
                c.draw_series(std::iter::once(Rectangle::new(
                    [(x0, y0), (x1, y0 + v)],
                    s.colour.filled(),
                )))
                .map_err(|e| e.to_string())?;
            }
        }
        Ok(())
    })
}

/// A bar chart lying down: a row per category, named on the left, where names are too
/// long to stand under upright bars on a phone. The series side by side or stacked.
pub fn bars_across(chart: &Chart, stacked: bool) -> String {
    let n = chart.categories.len().max(1);
    let top = (0..n)
        .map(|i| {
            let vals = chart
                .series
                .iter()
                .map(|s| s.values.get(i).copied().unwrap_or(0));
            if stacked {
                vals.sum()
            } else {
                vals.max().unwrap_or(0)
            }
        })
        .max()
        .unwrap_or(0);
    let per_row = if stacked {
        22
    } else {
        10 + 12 * chart.series.len().max(1) as u32
    };
    let height = (n as u32 * per_row + 40).max(120);
    draw(chart, height, |root, marks| {
        // The first category on top: category i sits at n - 1 - i.
        let row = |i: usize| (n - 1 - i) as f64;
        let names = |y: &f64| {
            let i = y.round();
            if (y - i).abs() > 1e-6 || i < 0.0 || i as usize >= n {
                return String::new();
            }
            chart
                .categories
                .get(n - 1 - i as usize)
                .map(|c| c.1.clone())
                .unwrap_or_default()
        };
        let longest = chart.categories.iter().map(|c| text_width(&c.1)).max();
        let mut c = ChartBuilder::on(root)
            .margin(6)
            .x_label_area_size(26)
            .y_label_area_size((longest.unwrap_or(0) as u32 + 12).clamp(30, 170))
            .build_cartesian_2d(
                0u64..(top.max(4) as f64 * 1.08).ceil() as u64,
                -0.5f64..n as f64 - 0.5,
            )
            .map_err(|e| e.to_string())?;
        c.configure_mesh()
            .disable_y_mesh()
            .x_labels(4)
            .y_labels(n)
            .light_line_style(WHITE)
            .bold_line_style(RGBColor(220, 220, 220))
            .label_style(("sans-serif", FONT))
            .y_label_formatter(&names)
            .draw()
            .map_err(|e| e.to_string())?;
        let m = chart.series.len().max(1) as f64;
        for (si, s) in chart.series.iter().enumerate() {
            for (ci, &v) in s.values.iter().enumerate() {
                if v == 0 {
                    continue;
                }
                let (y0, y1, x0) = if stacked {
                    let before: u64 = chart.series[..si]
                        .iter()
                        .map(|o| o.values.get(ci).copied().unwrap_or(0))
                        .sum();
                    (row(ci) + 0.35, row(ci) - 0.35, before)
                } else {
                    let h = 0.8 / m;
                    let y0 = row(ci) + 0.4 - h * si as f64;
                    (y0, y0 - h, 0)
                };
                marks.borrow_mut().pending = Some(Mark {
                    key: chart.categories[ci].0.clone(),
                    series: s.key.clone(),
                    title: title(chart, ci, s, v),
                });
                c.draw_series(std::iter::once(Rectangle::new(
                    [(x0, y0), (x0 + v, y1)],
                    s.colour.filled(),
                )))
                .map_err(|e| e.to_string())?;
            }
        }
        Ok(())
    })
}

/// A line chart with a point per category; faint series are drawn first, pale.
pub fn lines(chart: &Chart) -> String {
    let n = chart.categories.len().max(1);
    let top = chart
        .series
        .iter()
        .flat_map(|s| s.values.iter().copied())
        .max()
        .unwrap_or(0);
    draw(chart, SIZE.1, |root, marks| {
        let mut c = frame(root, chart, n, top)?;
        let mut order: Vec<&Series> = chart.series.iter().collect();
        order.sort_by_key(|s| !s.faint);
        for s in order {
            let colour = if s.faint {
                s.colour.mix(0.35)
            } else {
                s.colour.to_rgba()
            };
            let points: Vec<(f64, u64)> = s
                .values
                .iter()
                .enumerate()
                .map(|(i, &v)| (i as f64, v))
                .collect();
            c.draw_series(LineSeries::new(
                points.clone(),
                Color::stroke_width(&colour, if s.faint { 1 } else { 2 }),
            ))
            .map_err(|e| e.to_string())?;
            for (ci, (x, v)) in points.into_iter().enumerate() {
                marks.borrow_mut().pending = Some(Mark {
                    key: chart.categories[ci].0.clone(),
                    series: s.key.clone(),
                    title: title(chart, ci, s, v),
                });
                c.draw_series(std::iter::once(Circle::new(
                    (x, v),
                    if s.faint { 2 } else { 3 },
                    colour.filled(),
                )))
                .map_err(|e| e.to_string())?;
            }
        }
        Ok(())
    })
}

type Ctx<'a, 'b> = ChartContext<
    'a,
    Counting<'b>,
    Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordu64>,
>;

/// The axes and grid: categories along x, counts up y with room above for the legend.
fn frame<'a, 'b>(
    root: &'a Area<'b>,
    chart: &Chart,
    n: usize,
    top: u64,
) -> Result<Ctx<'a, 'b>, String> {
    let y_top = (top.max(4) as f64 * 1.08).ceil() as u64;
    let mut c = ChartBuilder::on(root)
        .margin(6)
        .x_label_area_size(26)
        .y_label_area_size(38)
        .build_cartesian_2d(-0.5f64..n as f64 - 0.5, 0u64..y_top)
        .map_err(|e| e.to_string())?;
    // Categories sit at whole numbers; plotters' ticks between them stay unlabelled.
    let names = |x: &f64| {
        let i = x.round();
        if (x - i).abs() > 1e-6 || i < 0.0 {
            return String::new();
        }
        chart
            .categories
            .get(i as usize)
            .map(|c| c.1.clone())
            .unwrap_or_default()
    };
    c.configure_mesh()
        .disable_x_mesh()
        .x_labels(n.min(8))
        .y_labels(5)
        .light_line_style(WHITE)
        .bold_line_style(RGBColor(220, 220, 220))
        .label_style(("sans-serif", FONT))
        .x_label_formatter(&names)
        .draw()
        .map_err(|e| e.to_string())?;
    Ok(c)
}

/// A legend entry: where it starts in its row, its colour and its words.
type Entry = (i32, RGBAColor, String);

/// The width text takes at about 12 px: Chinese characters a full em, others about half.
fn text_width(s: &str) -> i32 {
    s.chars().map(|c| if c.is_ascii() { 7 } else { 12 }).sum()
}

/// The legend's entries laid out in rows across the chart's width; none for one series.
fn legend_rows(chart: &Chart) -> Vec<Vec<Entry>> {
    let mut rows: Vec<Vec<Entry>> = Vec::new();
    if chart.series.len() < 2 {
        return rows;
    }
    let mut x = 8;
    for s in &chart.series {
        let width = 14 + text_width(&s.label) + 14;
        if rows.is_empty() || (x + width > SIZE.0 as i32 - 8 && x > 8) {
            rows.push(Vec::new());
            x = 8;
        }
        let colour = if s.faint {
            s.colour.mix(0.35)
        } else {
            s.colour.to_rgba()
        };
        rows.last_mut()
            .expect("a row was pushed")
            .push((x, colour, s.label.clone()));
        x += width;
    }
    rows
}

/// The legend below the chart: a swatch of each series' colour and its words.
fn draw_legend(key: &Area, rows: &[Vec<Entry>]) -> Result<(), String> {
    for (r, row) in rows.iter().enumerate() {
        let y = 2 + r as i32 * 17;
        for (x, colour, label) in row {
            key.draw(&Rectangle::new(
                [(*x, y + 2), (*x + 10, y + 12)],
                colour.filled(),
            ))
            .map_err(|e| e.to_string())?;
            key.draw(&Text::new(
                label.clone(),
                (*x + 14, y),
                ("sans-serif", FONT).into_font().color(&BLACK),
            ))
            .map_err(|e| e.to_string())?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chart(values: Vec<Vec<u64>>) -> Chart<'static> {
        Chart {
            id: "t",
            title: "A <test>",
            categories: (0..values[0].len())
                .map(|i| (format!("c{i}"), format!("C{i}")))
                .collect(),
            series: values
                .into_iter()
                .enumerate()
                .map(|(i, values)| Series {
                    key: format!("s{i}"),
                    label: format!("S{i}"),
                    values,
                    colour: PALETTE[i],
                    faint: i == 1,
                })
                .collect(),
            share: false,
        }
    }

    /// (key, series, title) of every marked element.
    fn marks(svg: &str) -> Vec<(String, String, String)> {
        svg.split("data-key=\"")
            .skip(1)
            .map(|s| {
                let key = s.split('"').next().unwrap().to_string();
                let series = s
                    .split("data-series=\"")
                    .nth(1)
                    .unwrap()
                    .split('"')
                    .next()
                    .unwrap();
                let title = s
                    .split("<title>")
                    .nth(1)
                    .unwrap()
                    .split("</title>")
                    .next()
                    .unwrap();
                (key, series.to_string(), title.to_string())
            })
            .collect()
    }

    #[test]
    fn every_bar_carries_its_number_and_zero_bars_are_left_out() {
        let upright: fn(&Chart, bool) -> String = bars;
        let across: fn(&Chart, bool) -> String = bars_across;
        for (draw, stacked) in [
            (upright, false),
            (upright, true),
            (across, false),
            (across, true),
        ] {
            let svg = draw(&chart(vec![vec![3, 0, 12], vec![1, 5, 0]]), stacked);
            assert!(
                svg.starts_with("<svg id=\"t\" class=\"chart\" width=\"100%\" viewBox=\"0 0 360 ")
            );
            assert!(svg.contains("<title>A &lt;test&gt;</title>"));
            assert!(!svg.contains(" style=\""));
            let m = marks(&svg);
            assert_eq!(
                m,
                vec![
                    ("c0".into(), "s0".into(), "C0 · S0: 3".into()),
                    ("c2".into(), "s0".into(), "C2 · S0: 12".into()),
                    ("c0".into(), "s1".into(), "C0 · S1: 1".into()),
                    ("c1".into(), "s1".into(), "C1 · S1: 5".into()),
                ]
            );
            // Each title sits inside a filled rectangle of its series' colour.
            assert_eq!(svg.matches("</rect>").count(), 4);
        }
    }

    #[test]
    fn every_point_of_a_line_carries_its_number() {
        let svg = lines(&chart(vec![vec![2, 4, 6], vec![1, 1, 0]]));
        let m = marks(&svg);
        // The faint series is drawn first, behind.
        assert_eq!(m.len(), 6);
        assert_eq!(m[0], ("c0".into(), "s1".into(), "C0 · S1: 1".into()));
        assert_eq!(m[5], ("c2".into(), "s0".into(), "C2 · S0: 6".into()));
        assert_eq!(svg.matches("</circle>").count(), 6);
    }
}
