//! Expands a scenario's steps into the exact, reproducible list of pointer events of one run.

use std::f64::consts::FRAC_1_SQRT_2;
use std::time::Duration;

use super::rng::SplitMix64;
use super::schema::{Button, Drag, DragPath, Geometry, Point, Scenario, Step, MAX_COORDINATE};

/// Every pointer event of one run, with when to send it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputPlan {
    /// Events in send order; `at` never decreases.
    pub events: Vec<PlannedInput>,
    /// One burst per drag step, in order.
    pub bursts: Vec<BurstPlan>,
    /// Offset at which the last step ends (a trailing pause included).
    pub duration: Duration,
}

/// One pointer event and its send time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlannedInput {
    /// Offset from the start of the first step.
    pub at: Duration,
    /// What to send.
    pub action: PointerAction,
}

/// A pointer event in absolute screen coordinates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PointerAction {
    /// Move the pointer; `buttons` is the held-button mask ([`Button::mask`] bits).
    MoveTo {
        /// Column.
        x: u32,
        /// Row.
        y: u32,
        /// Buttons held during the move.
        buttons: u16,
    },
    /// Press a button at a position.
    Press {
        /// The button.
        button: Button,
        /// Column.
        x: u32,
        /// Row.
        y: u32,
    },
    /// Release a button at a position.
    Release {
        /// The button.
        button: Button,
        /// Column.
        x: u32,
        /// Row.
        y: u32,
    },
}

impl InputPlan {
    /// Where the plan leaves the pointer: the position of its last event.
    pub fn final_position(&self) -> Option<(u32, u32)> {
        self.events.last().map(|e| match e.action {
            PointerAction::MoveTo { x, y, .. }
            | PointerAction::Press { x, y, .. }
            | PointerAction::Release { x, y, .. } => (x, y),
        })
    }

    /// How far the plan's drags carry whatever they grab: the sum over every press → release
    /// of (release position − press position). On the lab desktop each drag grabs the same
    /// window by its title bar, so this is how far that window must move.
    pub fn drag_displacement(&self) -> (i64, i64) {
        let (mut dx, mut dy) = (0i64, 0i64);
        let mut pressed: Option<(u32, u32)> = None;
        for e in &self.events {
            match e.action {
                PointerAction::Press { x, y, .. } => pressed = Some((x, y)),
                PointerAction::Release { x, y, .. } => {
                    if let Some((px, py)) = pressed.take() {
                        dx += i64::from(x) - i64::from(px);
                        dy += i64::from(y) - i64::from(py);
                    }
                }
                PointerAction::MoveTo { .. } => {}
            }
        }
        (dx, dy)
    }
}

/// The span of one drag's events: where analysis looks for the display's response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BurstPlan {
    /// Time of the burst's first event.
    pub start: Duration,
    /// Time of its last event (the release).
    pub end: Duration,
    /// How many events it holds.
    pub events: usize,
}

impl Scenario {
    /// The input plan of one run, from the scenario's own seed.
    pub fn input_plan(&self) -> InputPlan {
        self.input_plan_with_seed(self.seed)
    }

    /// The input plan with another seed (e.g. a [`super::Configuration::seed`]); the
    /// same steps, geometry and seed always give the same plan.
    pub fn input_plan_with_seed(&self, seed: u64) -> InputPlan {
        let bounds = bounds(self.target.geometry());
        let mut plan = InputPlan {
            events: Vec::new(),
            bursts: Vec::new(),
            duration: Duration::ZERO,
        };
        for (index, step) in self.steps.iter().enumerate() {
            plan.duration = match step {
                Step::Pause(d) => plan.duration.saturating_add(*d),
                Step::Drag(drag) => {
                    let mut rng = SplitMix64::for_step(seed, index);
                    plan_drag(drag, bounds, &mut rng, plan.duration, &mut plan)
                }
            };
        }
        plan
    }
}

/// Largest x and y a point may take.
fn bounds(geometry: Option<Geometry>) -> Point {
    match geometry {
        Some(g) => Point {
            x: g.width.saturating_sub(1),
            y: g.height.saturating_sub(1),
        },
        None => Point {
            x: MAX_COORDINATE,
            y: MAX_COORDINATE,
        },
    }
}

/// How many moves a drag makes: `round(duration * rate)`, at least one so a linear
/// drag always reaches its end point.
pub(crate) fn move_count(drag: &Drag) -> u64 {
    let n = (drag.duration.as_secs_f64() * f64::from(drag.rate_hz.max(1))).round();
    // `as` saturates and maps NaN to 0, so this cannot panic.
    (n as u64).max(1)
}

/// Appends one drag starting at `start`; returns when the next step starts.
///
/// Slots are `1/rate_hz` apart: slot 0 hovers at `from`, slot 1 presses, slots
/// 2..=n+1 are the n moves, slot n+2 releases, and the next step starts at slot n+3.
fn plan_drag(
    drag: &Drag,
    bounds: Point,
    rng: &mut SplitMix64,
    start: Duration,
    plan: &mut InputPlan,
) -> Duration {
    let rate = u128::from(drag.rate_hz.max(1));
    // Each slot is computed from the step start rather than by adding intervals, so
    // rounding never accumulates over long drags.
    let slot = |j: u64| {
        let nanos = u128::from(j) * 1_000_000_000 / rate;
        start.saturating_add(Duration::from_nanos(
            u64::try_from(nanos).unwrap_or(u64::MAX),
        ))
    };
    let n = move_count(drag);
    let button = drag.button;
    let from = drag.from;
    let mut push = |j: u64, action| {
        plan.events.push(PlannedInput {
            at: slot(j),
            action,
        })
    };

    push(
        0,
        PointerAction::MoveTo {
            x: from.x,
            y: from.y,
            buttons: 0,
        },
    );
    push(
        1,
        PointerAction::Press {
            button,
            x: from.x,
            y: from.y,
        },
    );
    let mut last = from;
    let mut walk = Walk::new(from, bounds, rng);
    for k in 1..=n {
        last = match drag.path {
            DragPath::To(to) => linear(from, to, k, n),
            DragPath::Erratic { step_px } => walk.step(f64::from(step_px), rng),
        };
        push(
            k + 1,
            PointerAction::MoveTo {
                x: last.x,
                y: last.y,
                buttons: button.mask(),
            },
        );
    }
    push(
        n + 2,
        PointerAction::Release {
            button,
            x: last.x,
            y: last.y,
        },
    );
    plan.bursts.push(BurstPlan {
        start: slot(0),
        end: slot(n + 2),
        events: usize::try_from(n).unwrap_or(usize::MAX).saturating_add(3),
    });
    slot(n + 3)
}

/// Point `k` of `n` on the straight line; point `n` is `to` itself.
fn linear(from: Point, to: Point, k: u64, n: u64) -> Point {
    if k >= n {
        return to;
    }
    let t = k as f64 / n as f64;
    let lerp = |a: u32, b: u32| {
        let (a, b) = (f64::from(a), f64::from(b));
        (a + (b - a) * t).round() as u32
    };
    Point {
        x: lerp(from.x, to.x),
        y: lerp(from.y, to.y),
    }
}

// Unit vectors at multiples of 22.5 degrees. A table instead of sin/cos because those
// may differ in the last bit between math libraries, and the walk must not.
const C1: f64 = 0.923_879_532_511_286_7;
const S1: f64 = 0.382_683_432_365_089_8;
const H: f64 = FRAC_1_SQRT_2;
const DIRECTIONS: [(f64, f64); 16] = [
    (1.0, 0.0),
    (C1, S1),
    (H, H),
    (S1, C1),
    (0.0, 1.0),
    (-S1, C1),
    (-H, H),
    (-C1, S1),
    (-1.0, 0.0),
    (-C1, -S1),
    (-H, -H),
    (-S1, -C1),
    (0.0, -1.0),
    (S1, -C1),
    (H, -H),
    (C1, -S1),
];

/// The erratic random walk.
///
/// Each move goes up to ±5 table directions (±112.5°) off a drift heading, so the walk
/// jitters but still makes headway (about 0.39 step_px per move along the heading).
/// The heading turns by one direction on about one move in eight, and mirrors off any
/// screen edge the walk hits, so it neither stays put nor sticks to a wall.
struct Walk {
    x: f64,
    y: f64,
    max_x: f64,
    max_y: f64,
    heading: usize,
}

impl Walk {
    fn new(from: Point, bounds: Point, rng: &mut SplitMix64) -> Self {
        let max_x = f64::from(bounds.x);
        let max_y = f64::from(bounds.y);
        Self {
            x: f64::from(from.x).min(max_x),
            y: f64::from(from.y).min(max_y),
            max_x,
            max_y,
            heading: rng.below(16) as usize,
        }
    }

    // The order of random draws is part of the format: changing it changes every path.
    fn step(&mut self, step_px: f64, rng: &mut SplitMix64) -> Point {
        if rng.below(8) == 0 {
            let turn = if rng.below(2) == 0 { 1 } else { 15 };
            self.heading = (self.heading + turn) % 16;
        }
        // heading - 5 ..= heading + 5, kept non-negative by adding 16.
        let direction = (self.heading + 11 + rng.below(11) as usize) % 16;
        let length = step_px * (0.5 + rng.next_f64());
        let (dx, dy) = DIRECTIONS[direction];
        let (nx, ny) = (self.x + dx * length, self.y + dy * length);
        self.x = nx.clamp(0.0, self.max_x);
        self.y = ny.clamp(0.0, self.max_y);
        if self.x != nx {
            // Mirror left/right: angle a becomes 180° - a.
            self.heading = (24 - self.heading) % 16;
        }
        if self.y != ny {
            // Mirror up/down: angle a becomes -a.
            self.heading = (16 - self.heading) % 16;
        }
        Point {
            x: self.x.round() as u32,
            y: self.y.round() as u32,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn scenario(target: &str, steps: &str, seed: u64) -> Scenario {
        let text = format!("name = \"t\"\nseed = {seed}\n[target]\n{target}\n{steps}");
        Scenario::parse(&text, Path::new("t.toml")).unwrap()
    }

    const XSPICE: &str = "kind = \"xspice\"\ngeometry = \"1024x768\"";

    fn erratic(seed: u64) -> Scenario {
        scenario(
            XSPICE,
            "[[steps]]\nkind = \"drag\"\nfrom = [500, 400]\npath = { kind = \"erratic\", step_px = 12 }\nduration_s = 2.0\nrate_hz = 100\n",
            seed,
        )
    }

    fn points(plan: &InputPlan) -> Vec<Point> {
        plan.events
            .iter()
            .map(|e| match e.action {
                PointerAction::MoveTo { x, y, .. }
                | PointerAction::Press { x, y, .. }
                | PointerAction::Release { x, y, .. } => Point { x, y },
            })
            .collect()
    }

    #[test]
    fn linear_drag_has_exact_shape_and_timing() {
        let s = scenario(
            XSPICE,
            "[[steps]]\nkind = \"drag\"\nfrom = [120, 58]\nto = [420, 238]\nduration_s = 3.0\nrate_hz = 100\nbutton = \"right\"\n",
            1,
        );
        let plan = s.input_plan();
        let ms = Duration::from_millis;
        assert_eq!(plan.events.len(), 300 + 3);
        assert_eq!(
            plan.events[0],
            PlannedInput {
                at: ms(0),
                action: PointerAction::MoveTo {
                    x: 120,
                    y: 58,
                    buttons: 0
                }
            }
        );
        assert_eq!(
            plan.events[1],
            PlannedInput {
                at: ms(10),
                action: PointerAction::Press {
                    button: Button::Right,
                    x: 120,
                    y: 58
                }
            }
        );
        for (k, e) in plan.events[2..302].iter().enumerate() {
            assert_eq!(e.at, ms(20 + 10 * k as u64));
            assert!(matches!(e.action, PointerAction::MoveTo { buttons: 4, .. }));
        }
        assert_eq!(
            plan.events[301].action,
            PointerAction::MoveTo {
                x: 420,
                y: 238,
                buttons: 4
            }
        );
        assert_eq!(
            plan.events[302],
            PlannedInput {
                at: ms(3020),
                action: PointerAction::Release {
                    button: Button::Right,
                    x: 420,
                    y: 238
                }
            }
        );
        assert_eq!(
            plan.bursts,
            [BurstPlan {
                start: ms(0),
                end: ms(3020),
                events: 303
            }]
        );
        assert_eq!(plan.duration, ms(3030));
        // Halfway along the line.
        assert_eq!(
            plan.events[151].action,
            PointerAction::MoveTo {
                x: 270,
                y: 148,
                buttons: 4
            }
        );
    }

    #[test]
    fn odd_rates_do_not_drift() {
        let s = scenario(
            XSPICE,
            "[[steps]]\nkind = \"drag\"\nfrom = [0, 0]\nto = [3, 3]\nduration_s = 1.0\nrate_hz = 3\n",
            1,
        );
        let at: Vec<u64> = s
            .input_plan()
            .events
            .iter()
            .map(|e| e.at.as_nanos() as u64)
            .collect();
        assert_eq!(
            at,
            [
                0,
                333_333_333,
                666_666_666,
                1_000_000_000,
                1_333_333_333,
                1_666_666_666
            ]
        );
    }

    #[test]
    fn tiny_drag_still_reaches_its_end() {
        let s = scenario(
            XSPICE,
            "[[steps]]\nkind = \"drag\"\nfrom = [0, 0]\nto = [9, 9]\nduration_s = 0.001\nrate_hz = 1\n",
            1,
        );
        let plan = s.input_plan();
        assert_eq!(plan.events.len(), 4);
        assert_eq!(points(&plan).last(), Some(&Point { x: 9, y: 9 }));
    }

    #[test]
    fn pauses_advance_time_and_each_drag_is_a_burst() {
        let drag = "[[steps]]\nkind = \"drag\"\nfrom = [0, 0]\nto = [10, 0]\nduration_s = 0.1\nrate_hz = 100\n";
        let steps = format!("{drag}[[steps]]\nkind = \"pause\"\nduration_s = 0.5\n{drag}[[steps]]\nkind = \"pause\"\nduration_s = 0.25\n");
        let plan = scenario(XSPICE, &steps, 1).input_plan();
        let ms = Duration::from_millis;
        // First drag: 13 slots of 10 ms, then 500 ms pause.
        assert_eq!(plan.bursts.len(), 2);
        assert_eq!(
            plan.bursts[0],
            BurstPlan {
                start: ms(0),
                end: ms(120),
                events: 13
            }
        );
        assert_eq!(
            plan.bursts[1],
            BurstPlan {
                start: ms(630),
                end: ms(750),
                events: 13
            }
        );
        assert_eq!(plan.duration, ms(760 + 250));
        assert!(plan.events.windows(2).all(|w| w[0].at <= w[1].at));
    }

    #[test]
    fn same_seed_same_plan_different_seed_different_walk() {
        let a = erratic(42).input_plan();
        assert_eq!(a, erratic(42).input_plan());
        let b = erratic(43).input_plan();
        assert_eq!(a.events.len(), b.events.len());
        assert_ne!(points(&a), points(&b));
        // The scenario seed and an explicit one agree.
        assert_eq!(erratic(7).input_plan_with_seed(42), a);
    }

    #[test]
    fn erratic_walk_is_pinned() {
        // Guards the format: these points must never change for seed 42.
        let plan = erratic(42).input_plan();
        let first: Vec<(u32, u32)> = points(&plan)[2..7].iter().map(|p| (p.x, p.y)).collect();
        assert_eq!(first, PINNED);
    }
    const PINNED: [(u32, u32); 5] = [(510, 410), (510, 422), (504, 428), (492, 423), (486, 437)];

    #[test]
    fn erratic_walk_moves_away_and_steps_about_step_px() {
        let plan = erratic(42).input_plan();
        let pts = points(&plan);
        let moves = &pts[2..pts.len() - 1];
        let far = moves
            .iter()
            .map(|p| (f64::from(p.x) - 500.0).hypot(f64::from(p.y) - 400.0))
            .fold(0.0, f64::max);
        assert!(far > 120.0, "walk stayed within {far} px");
        for w in moves.windows(2) {
            let d = (f64::from(w[0].x) - f64::from(w[1].x))
                .hypot(f64::from(w[0].y) - f64::from(w[1].y));
            assert!(d <= 12.0 * 1.5 + 1.5, "jump of {d} px");
        }
    }

    #[test]
    fn every_point_stays_inside_the_geometry() {
        for seed in 0..20 {
            let s = scenario(
                "kind = \"xspice\"\ngeometry = \"64x64\"",
                "[[steps]]\nkind = \"drag\"\nfrom = [0, 63]\npath = { kind = \"erratic\", step_px = 200 }\nduration_s = 10\nrate_hz = 100\n",
                seed,
            );
            let pts = points(&s.input_plan());
            assert!(pts.iter().all(|p| p.x < 64 && p.y < 64), "seed {seed}");
            // It must not sit in a corner either.
            assert!(pts.iter().any(|p| p.x > 10 && p.y < 50), "seed {seed}");
        }
        let external = scenario(
            "kind = \"external\"\nuri = \"spice://h:5900\"",
            "[[steps]]\nkind = \"drag\"\nfrom = [8191, 8191]\npath = { kind = \"erratic\", step_px = 200 }\nduration_s = 5\nrate_hz = 100\n",
            3,
        );
        let pts = points(&external.input_plan());
        assert!(pts
            .iter()
            .all(|p| p.x <= MAX_COORDINATE && p.y <= MAX_COORDINATE));
    }

    #[test]
    fn steps_have_independent_walks() {
        let step = "[[steps]]\nkind = \"drag\"\nfrom = [500, 400]\npath = { kind = \"erratic\" }\nduration_s = 0.5\nrate_hz = 100\n";
        let plan = scenario(XSPICE, &format!("{step}{step}"), 9).input_plan();
        let pts = points(&plan);
        let half = pts.len() / 2;
        assert_ne!(pts[..half], pts[half..]);
    }
}
