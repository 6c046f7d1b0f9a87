use spicebench::client::inject::{run_script, ScheduledStep};
use spicebench::client::*;
use std::time::Duration;

#[tokio::main]
async fn main() {
    let clock = Clock::start();
    let cfg = SessionConfig { addr: "127.0.0.1:5930".into(), password: String::new(), preferred_compression: None, mouse: MousePreference::Client, timeout: Duration::from_secs(5) };
    let s = Session::connect(&cfg, clock).await.unwrap();
    println!("mouse mode {}", s.mouse_mode());
    let start = clock.now_us() + 500_000;
    let mut steps = vec![ScheduledStep{at_us: start, step: PointerStep::MoveTo{x:120,y:58,buttons:0}}, ScheduledStep{at_us:start+10_000, step: PointerStep::Press{button:1,buttons:1}}];
    for i in 1..=300u64 { let x = 120 + (300*i/300) as u32; let y = 58 + (180*i/300) as u32; steps.push(ScheduledStep{at_us: start+10_000+i*10_000, step: PointerStep::MoveTo{x,y,buttons:1}}); }
    steps.push(ScheduledStep{at_us: start+3_020_000, step: PointerStep::Release{button:1,buttons:0}});
    let gate: &'static spicebench::client::inject::InputGate = unsafe { &*(s.input_gate() as *const _) };
    let probe = s.failure_probe();
    let h = std::thread::spawn(move || run_script(gate, &clock, &steps, &probe));
    let r = h.join().unwrap();
    println!("{:?}", r);
    tokio::time::sleep(Duration::from_secs(1)).await;
    println!("{:?}", s.input_gate().pacing_stats());
    let log = s.close().await;
    let down: u64 = log.traffic.iter().filter(|t| t.channel==1 && t.direction==spicebench::wire::names::Direction::Down).map(|t| t.bytes).sum();
    println!("channels {:?}", log.channels.iter().map(|c| c.channel_type.name()).collect::<Vec<_>>());
    println!("display down {} updates {} inputs {} acks {} notes {:?}", down, log.updates.len(), log.inputs.len(), log.motion_acks.len(), log.notes);
    let mut errs: Vec<i64> = log.inputs.iter().filter(|i| !i.deferred).map(|i| i.sent_us as i64 - i.scheduled_us as i64).collect(); errs.sort();
    println!("pacing p50 {} p99 {} max {}", errs[errs.len()/2], errs[errs.len()*99/100], errs.last().unwrap());
}
