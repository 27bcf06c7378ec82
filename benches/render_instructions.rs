//! The rendering steps of `render.rs`, a fixed number of times each, for instruction
//! counts under callgrind, which the machine's load does not change (criterion's times
//! do). Only the calls of the `measure_*` functions are meant to be counted:
//!
//!     valgrind --tool=callgrind --toggle-collect='*measure_*' BINARY STEP [N [APPS]]
//!
//! STEP is `parse`, `plan`, `bundle` or `text`; N iterations (1), APPS agents (10,000).
//! `benches/render_instructions.sh` builds it and prints instructions per iteration.

mod fleet;

use std::hint::black_box;
use std::path::Path;

use ecosystemd::bundle::Bundle;
use ecosystemd::ecosystem::{Ecosystem, LoadOptions};
use ecosystemd::render::{RenderOptions, render_bundle};

use fleet::{ecosystem, ecosystem_yaml};

#[inline(never)]
fn measure_parse(yaml: &str) -> impl Sized + use<> {
    let source = Path::new("/srv/agents/ecosystem.yaml");
    ecosystemd::ecosystem::parse(black_box(yaml), source, &LoadOptions::default())
}

#[inline(never)]
fn measure_plan(eco: &Ecosystem, options: &RenderOptions) -> impl Sized + use<> {
    ecosystemd::plan::plan(black_box(eco), &options.plan)
}

#[inline(never)]
fn measure_bundle(eco: &Ecosystem, options: &RenderOptions) -> impl Sized + use<> {
    render_bundle(black_box(eco), options)
}

#[inline(never)]
fn measure_text(bundle: &Bundle) -> String {
    black_box(bundle).to_text()
}

fn main() {
    let mut args = std::env::args().skip(1);
    let step = args.next().unwrap_or_default();
    let number = |text: Option<String>, default| text.map_or(Some(default), |t| t.parse().ok());
    let (Some(iterations), Some(apps)) = (number(args.next(), 1), number(args.next(), 10_000))
    else {
        eprintln!("usage: render_instructions parse|plan|bundle|text [ITERATIONS [APPS]]");
        std::process::exit(2);
    };
    let eco = ecosystem(apps);
    let options = RenderOptions::default();
    let mut kept: Vec<Box<dyn std::any::Any>> = Vec::new();
    match step.as_str() {
        "parse" => {
            let yaml = ecosystem_yaml(apps);
            (0..iterations).for_each(|_| kept.push(Box::new(measure_parse(&yaml))));
        }
        "plan" => (0..iterations).for_each(|_| kept.push(Box::new(measure_plan(&eco, &options)))),
        "bundle" => {
            (0..iterations).for_each(|_| kept.push(Box::new(measure_bundle(&eco, &options))));
        }
        "text" => {
            let Ok(rendered) = render_bundle(&eco, &options) else {
                eprintln!("the fleet does not render");
                std::process::exit(1);
            };
            (0..iterations).for_each(|_| kept.push(Box::new(measure_text(&rendered.bundle))));
        }
        _ => {
            eprintln!("usage: render_instructions parse|plan|bundle|text [ITERATIONS [APPS]]");
            std::process::exit(2);
        }
    }
    black_box(&kept);
}
