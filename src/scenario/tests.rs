//! Loader tests: the real scenario, error messages, overrides, hashing, the key reference.

use std::path::{Path, PathBuf};

use proptest::prelude::*;

use super::*;

fn repo(p: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(p)
}

const ORIGIN: &str = "scenarios/x.toml";

const MINIMAL: &str = "participants = 4\nduration = \"60s\"\n";

fn load_src(src: &str, sets: &[&str]) -> Result<Loaded, ScenarioError> {
    let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
    load_str(src, Path::new(ORIGIN), None, &sets)
}

/// Loads `src`, expects an error, checks it contains every `want` and the file name, and
/// returns its one-line Display.
#[track_caller]
fn err(src: &str, sets: &[&str], want: &[&str]) -> String {
    let e = load_src(src, sets).expect_err("expected an error");
    let s = e.to_string();
    assert!(s.starts_with("scenarios/x.toml: "), "{s}");
    assert!(!s.contains('\n'), "not one line: {s}");
    for w in want {
        assert!(s.contains(w), "missing {w:?} in: {s}");
    }
    assert!(e.is_usage());
    assert_eq!(e.exit_code(), 2);
    s
}

#[test]
fn partition_scenario_loads() {
    let l = load(&repo("scenarios/partition.toml"), None, &[]).unwrap();
    let s = &l.scenario;
    assert_eq!(s.name, "partition");
    assert_eq!(s.participants, 200);
    assert_eq!(s.duration, SimDuration::from_secs(600));
    assert_eq!(s.drain, SimDuration::from_secs(3600));
    assert_eq!(s.protocol, Protocol::Sds);
    assert_eq!(s.partitions.len(), 1);
    assert_eq!(s.partitions[0].fractions, Some(vec![0.5, 0.5]));
    assert_eq!(
        s.network.latency.same_region,
        Some(SimDuration::from_millis(1))
    );
    let m = l.regions.as_ref().unwrap();
    assert_eq!(m.len(), 10);
    assert_eq!(m.names.len(), 10);
    assert_eq!(l.base_dir, repo("scenarios"));
    assert_eq!(l.config_hash.len(), 64);
    assert!(l
        .config_hash
        .bytes()
        .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
}

#[test]
fn seed_override_and_hash() {
    let path = repo("scenarios/partition.toml");
    let a = load(&path, None, &[]).unwrap();
    let b = load(&path, Some(u64::MAX), &[]).unwrap();
    assert_eq!(a.scenario.seed, 1);
    assert_eq!(b.scenario.seed, u64::MAX);
    assert_eq!(
        a.config_hash, b.config_hash,
        "seed must not change the hash"
    );
    let c = load(&path, None, &["network.loss=0.02".into()]).unwrap();
    assert_ne!(a.config_hash, c.config_hash);
    // Deterministic across loads.
    assert_eq!(a.config_hash, load(&path, None, &[]).unwrap().config_hash);
    // --set seed is also accepted, and --seed wins over it.
    let d = load(&path, Some(7), &["seed=9".into()]).unwrap();
    assert_eq!(d.scenario.seed, 7);
}

#[test]
fn defaults_and_name_from_stem() {
    let l = load_src(MINIMAL, &[]).unwrap();
    let s = &l.scenario;
    assert_eq!(s.name, "x");
    assert_eq!(s.seed, 1);
    assert_eq!(s.report_interval, SimDuration::from_secs(10));
    assert_eq!(s.sds, SdsParams::default());
    // The SDS defaults are js-waku 0.0.8's (issue 14), and no profile is echoed.
    assert_eq!(s.sds.causal_history, 200);
    assert_eq!(s.sds.message_id, MessageIdRule::PayloadSha256);
    assert_eq!(s.sds.sync.policy, SyncPolicyName::ReliableChannel);
    assert_eq!(s.sds.repair.response_groups, 1);
    assert_eq!(s.sds.profile, None);
    assert_eq!(s.workload, Workload::default());
    assert!(l.regions.is_none());
    assert_eq!(l.base_dir, PathBuf::from("scenarios"));
    let bare = load_str(MINIMAL, Path::new("y.toml"), None, &[]).unwrap();
    assert_eq!(bare.base_dir, PathBuf::from("."));
}

#[test]
fn toml_text_as_loaded() {
    let src = "# a comment\nparticipants = 4\nduration = \"60s\"\n";
    let plain = load_src(src, &[]).unwrap();
    assert_eq!(plain.toml, src, "without --set: the file as read");
    let set = load_src(src, &["network.loss=0.25", "participants=7"]).unwrap();
    assert!(set.toml.contains("participants = 7"), "{}", set.toml);
    assert!(set.toml.contains("loss = 0.25"), "{}", set.toml);
    // The text is what was deserialized: loading it again gives the same scenario.
    let again = load_src(&set.toml, &[]).unwrap();
    assert_eq!(again.scenario, set.scenario);
}

#[test]
fn missing_file() {
    let e = load(Path::new("scenarios/nope.toml"), None, &[]).unwrap_err();
    let s = e.to_string();
    assert!(
        s.starts_with("scenarios/nope.toml: cannot read file: "),
        "{s}"
    );
    assert_eq!(e.kind, ErrorKind::Io);
}

#[test]
fn syntax_error_has_line() {
    err(
        "participants = 4\nduration = \"60s\"\nseed = = 3\n",
        &[],
        &["line 3: ", "invalid TOML"],
    );
}

#[test]
fn unknown_keys() {
    err(
        "participants = 4\nduration = \"60s\"\nparticipantz = 3\n",
        &[],
        &[
            "line 3: ",
            "unknown key \"participantz\" (expected one of: name, description, seed, participants",
        ],
    );
    err(
        "participants = 4\nduration = \"60s\"\n[network]\nlos = 0.1\n",
        &[],
        &[
            "line 4: ",
            "unknown key \"network.los\" (expected one of: dissemination, mesh_degree, latency, loss, duplicate, gilbert_elliott, degradations, links)",
        ],
    );
    err(
        "participants = 4\nduration = \"60s\"\n[sds]\nlost_timout = \"1m\"\n",
        &[],
        &[
            "line 4: ",
            "unknown key \"sds.lost_timout\" (expected one of: causal_history, possible_acks_threshold, bloom_capacity, bloom_error_rate, resend_interval, max_resends, message_id, sync, repair, lost_timeout, lost_policy, bloom_rollover, implementation",
        ],
    );
    err(
        "participants = 4\nduration = \"60s\"\n[sds.repair]\nt_mni = \"1s\"\n",
        &[],
        &["line 4: ", "unknown key \"sds.repair.t_mni\""],
    );
    err(
        "participants = 4\nduration = \"60s\"\n[[partitions]]\nstart = \"1s\"\nheal = \"2s\"\nfractions = [0.5, 0.5]\nbogus = 1\n",
        &[],
        &["line 7: ", "unknown key \"partitions.0.bogus\""],
    );
    err(
        "participants = 4\nduration = \"60s\"\n[network.latency]\n\ndistribution = { kind = \"constant\", value = \"1ms\", extra = 1 }\n",
        &[],
        &["line 5: ", "unknown key \"network.latency.distribution.extra\""],
    );
}

#[test]
fn missing_and_mistyped_keys() {
    err(
        "duration = \"60s\"\n",
        &[],
        &["missing required key \"participants\""],
    );
    err(
        "participants = 4\nduration = \"60s\"\n\n[[partitions]]\nstart = \"1s\"\nfractions = [0.5, 0.5]\n",
        &[],
        &["missing required key \"partitions.0.heal\""],
    );
    err(
        "participants = \"four\"\nduration = \"60s\"\n",
        &[],
        &["line 1: ", "participants: invalid type: string \"four\""],
    );
    err(
        "participants = 4\nduration = 90\n",
        &[],
        &["line 2: ", "duration: ", "strings with a unit", "\"90s\""],
    );
    err(
        "participants = 4\nduration = \"-5s\"\n",
        &[],
        &[
            "line 2: ",
            "duration: invalid duration \"-5s\": durations cannot be negative",
        ],
    );
    err(
        "participants = 4\nduration = \"60s\"\nprotocol = \"tcp\"\n",
        &[],
        &[
            "line 3: ",
            "protocol: unknown value \"tcp\" (expected: sds or none)",
        ],
    );
    err(
        "participants = 4\nduration = \"60s\"\n[network.latency]\ndistribution = { kind = \"weibull\" }\n",
        &[],
        &["line 4: ", "network.latency.distribution", "weibull"],
    );
    err(
        "participants = -1\nduration = \"60s\"\n",
        &[],
        &["line 1: ", "participants: "],
    );
}

/// (extra TOML appended to MINIMAL, expected line, expected fragments)
#[test]
fn semantic_validation() {
    let base = "participants = 4\nduration = \"60s\"\n"; // lines 1-2
    let cases: &[(&str, Option<usize>, &[&str])] = &[
        ("", None, &[]), // placeholder row, skipped
        ("[network]\nloss = 1.5\n", Some(4), &["network.loss: must be in [0, 1], got 1.5"]),
        ("[network]\nloss = -0.1\n", Some(4), &["network.loss: must be in [0, 1]"]),
        ("[network]\nloss = nan\n", Some(4), &["network.loss: must be in [0, 1], got NaN"]),
        ("[network]\ndissemination = \"relay\"\nmesh_degree = 0\n", Some(5), &["network.mesh_degree: must be at least 2 with dissemination = \"relay\" (4 relay nodes)"]),
        ("[network]\ndissemination = \"relay\"\nmesh_degree = 1\n", Some(5), &["network.mesh_degree: must be at least 2", "degree 1 cannot connect them"]),
        ("report_interval = \"0s\"\n", Some(3), &["report_interval: must be greater than 0s"]),
        ("[workload]\nrate_per_s = 0.0\n", Some(4), &["workload.rate_per_s: is 0 and there is no [[workload.publish]]"]),
        ("[workload]\nrate_per_s = inf\n", Some(4), &["workload.rate_per_s: must be a finite number >= 0, got inf"]),
        ("[workload]\npayload_bytes = 0\n", Some(4), &["workload.payload_bytes: must be at least 1"]),
        (
            "[network.latency]\nregions = \"r.csv\"\ndistribution = { kind = \"constant\", value = \"5ms\" }\n",
            Some(5),
            &["network.latency.distribution: cannot be combined with network.latency.regions"],
        ),
        ("[network.latency]\nsame_region = \"1ms\"\n", Some(4), &["network.latency.same_region: only applies with network.latency.regions"]),
        (
            "[network.latency]\njitter = { kind = \"constant\", value = \"1ms\" }\n",
            Some(4),
            &["network.latency.jitter: only applies with network.latency.regions"],
        ),
        (
            "[network.latency]\ndistribution = { kind = \"uniform\", min = \"5ms\", max = \"1ms\" }\n",
            Some(4),
            &["network.latency.distribution.min: must be <= max (1ms), got 5ms"],
        ),
        (
            "[network.latency]\ndistribution = { kind = \"lognormal\", median = \"5ms\", sigma = -1.0 }\n",
            Some(4),
            &["network.latency.distribution.sigma: must be finite and >= 0"],
        ),
        (
            "[network.latency]\ndistribution = { kind = \"lognormal\", median = \"5ms\", sigma = inf }\n",
            Some(4),
            &["network.latency.distribution.sigma: must be finite and >= 0, got inf"],
        ),
        (
            "[network.latency]\ndistribution = { kind = \"pareto\", scale = \"5ms\", shape = 0.0 }\n",
            Some(4),
            &["network.latency.distribution.shape: must be finite and > 0"],
        ),
        (
            "[network.latency]\ndistribution = { kind = \"pareto\", scale = \"0s\", shape = 1.5 }\n",
            Some(4),
            &["network.latency.distribution.scale: must be greater than 0s"],
        ),
        (
            "[[partitions]]\nstart = \"10s\"\nheal = \"10s\"\nfractions = [0.5, 0.5]\n",
            Some(5),
            &["partitions.0.heal: must be after start (10s), got 10s"],
        ),
        (
            "[[partitions]]\nstart = \"60s\"\nheal = \"70s\"\nfractions = [0.5, 0.5]\n",
            Some(4),
            &["partitions.0.start: must be before the end of the workload (duration = 1m), got 1m"],
        ),
        (
            "[[partitions]]\nstart = \"1s\"\nheal = \"2s\"\nfractions = [0.5, 0.5]\nids = [[0]]\n",
            Some(7),
            &["partitions.0.ids: give exactly one of fractions, ids or isolate, not several"],
        ),
        (
            "[[partitions]]\nstart = \"1s\"\nheal = \"2s\"\n",
            Some(3),
            &["partitions.0: give exactly one of fractions, ids or isolate"],
        ),
        (
            "[[partitions]]\nstart = \"1s\"\nheal = \"2s\"\nfractions = [1.0]\n",
            Some(6),
            &["partitions.0.fractions: needs at least 2 groups, got 1"],
        ),
        (
            "[[partitions]]\nstart = \"1s\"\nheal = \"2s\"\nfractions = [0.0, 1.0]\n",
            Some(6),
            &["partitions.0.fractions.0: must be in (0, 1], got 0"],
        ),
        (
            "[[partitions]]\nstart = \"1s\"\nheal = \"2s\"\nfractions = [0.5, 0.6]\n",
            Some(6),
            &["partitions.0.fractions: must sum to 1, got 1.1"],
        ),
        (
            "[[partitions]]\nstart = \"1s\"\nheal = \"2s\"\nids = [[0, 1], [4]]\n",
            Some(6),
            &["partitions.0.ids.1: partition group out of range: id 4 >= participants (4)"],
        ),
        (
            "[[partitions]]\nstart = \"1s\"\nheal = \"2s\"\nids = [[0, 1], [1]]\n",
            Some(6),
            &["partitions.0.ids.1: participant 1 is listed more than once"],
        ),
        (
            "[[partitions]]\nstart = \"1s\"\nheal = \"2s\"\nids = [[], []]\n",
            Some(6),
            &["partitions.0.ids: needs at least one non-empty group"],
        ),
        ("[sds]\ncausal_history = 1001\n", Some(4), &["sds.causal_history: must be at most 1,000 (the core rejects messages with more entries; scenarios/README.md, \"Upper bounds\"), got 1001"]),
        ("[sds]\npossible_acks_threshold = 0\n", Some(4), &["sds.possible_acks_threshold: must be at least 1"]),
        ("[sds]\nbloom_capacity = 0\n", Some(4), &["sds.bloom_capacity: must be at least 1"]),
        ("[sds]\nbloom_error_rate = 1.0\n", Some(4), &["sds.bloom_error_rate: must be in (0, 1), got 1"]),
        ("[sds]\nbloom_error_rate = 0.0\n", Some(4), &["sds.bloom_error_rate: must be in (0, 1), got 0"]),
        ("[sds]\nresend_interval = \"0s\"\n", Some(4), &["sds.resend_interval: must be greater than 0s"]),
        ("[sds.sync]\ninterval = \"0s\"\n", Some(4), &["sds.sync.interval: must be greater than 0s"]),
        (
            "[sds.sync]\ninterval = \"10s\"\ninterval_max = \"5s\"\n",
            Some(5),
            &["sds.sync.interval_max: must be >= sds.sync.interval (10s), got 5s"],
        ),
        ("[sds.sync]\nredundancy = 0\n", Some(4), &["sds.sync.redundancy: must be at least 1"]),
        (
            "[sds.repair]\nt_min = \"2m\"\nt_max = \"2m\"\n",
            Some(4),
            &["sds.repair.t_min: must be less than t_max (2m), got 2m"],
        ),
        ("[sds.repair]\nmax_requests = 0\n", Some(4), &["sds.repair.max_requests: must be at least 1"]),
        ("[sds]\nlost_timeout = \"500us\"\n", Some(4), &["sds.lost_timeout: must be at least 1ms, got 500us"]),
        ("[sds]\nlost_policy = \"drop\"\n", Some(4), &["sds.lost_policy: has no effect without sds.lost_timeout"]),
        ("[sds]\nlost_timeout = \"10m\"\nlost_policy = \"forget\"\n", Some(5), &["sds.lost_policy: unknown value \"forget\" (expected: deliver or drop)"]),
        ("[sds]\nbloom_rollover = \"roll\"\n", Some(4), &["sds.bloom_rollover: unknown value \"roll\" (expected: none or rebuild)"]),
        (
            "[sds.sync]\npolicy = \"gossip\"\n",
            Some(4),
            &["sds.sync.policy: unknown value \"gossip\" (expected one of: periodic, trickle, reliable-channel, off)"],
        ),
        ("[network.gilbert_elliott]\np = 1.5\n", None, &["network.gilbert_elliott.p: must be in [0, 1], got 1.5"]),
        ("[network.gilbert_elliott]\np = 0.1\nk = -1.0\n", None, &["network.gilbert_elliott.k: must be in [0, 1]"]),
        ("[network.gilbert_elliott]\np = 0.0\nr = 0.0\n", None, &["network.gilbert_elliott.r: p and r are both 0"]),
        ("[network.gilbert_elliott]\nq = 0.1\np = 0.1\n", None, &["q"]),
        ("[[network.degradations]]\nstart = \"5s\"\nend = \"5s\"\n", None, &["network.degradations.0.end: must be after start (5s), got 5s"]),
        ("[[network.degradations]]\nstart = \"5s\"\nend = \"6s\"\nids = [4]\n", None, &["network.degradations.0.ids: participant 4 is out of range (participants = 4)"]),
        ("[[network.links]]\nfrom = 1\nto = 1\n", None, &["network.links.0.to: must differ from from (1)"]),
        ("[[network.links]]\nfrom = 0\nto = 9\n", None, &["network.links.0.to: participant 9 is out of range"]),
        ("[[node_classes]]\nname = \"a\"\nfraction = 0.6\n[[node_classes]]\nname = \"b\"\nfraction = 0.5\n", None, &["node_classes.1.fraction: fractions of all classes must sum to at most 1"]),
        ("[[node_classes]]\nname = \"a\"\nids = [1]\n[[node_classes]]\nname = \"b\"\nids = [2, 1]\n", None, &["node_classes.1.ids: participant 1 is already in another class"]),
        ("[[node_classes]]\nname = \"a\"\nids = [7]\n", None, &["node_classes.0.ids: participant 7 is out of range"]),
        ("[[node_classes]]\nname = \"a\"\nfraction = 0.5\nids = [1]\n", None, &["node_classes.0.ids: give exactly one of fraction or ids"]),
        ("[[node_classes]]\nname = \"a\"\nfraction = 0.5\nuplink_bps = 0\n", None, &["node_classes.0.uplink_bps: must be greater than 0"]),
        ("[[node_classes]]\nname = \"a\"\nfraction = 0.5\n[[node_classes]]\nname = \"a\"\nfraction = 0.5\n", None, &["node_classes.1.name: class \"a\" is defined twice"]),
        ("[[node_classes]]\nname = \"a\"\nids = [0, 1, 2]\n[[node_classes]]\nname = \"b\"\nfraction = 0.5\n", None, &["node_classes: fraction classes (2 participants) and ids classes (3)"]),
        ("[[partitions]]\nstart = \"1s\"\nheal = \"2s\"\nisolate = [4]\n", None, &["partitions.0.isolate: participant 4 is out of range"]),
        ("[[partitions]]\nstart = \"1s\"\nheal = \"2s\"\nisolate = [1]\nids = [[0]]\n", None, &["partitions.0.isolate: give exactly one of fractions, ids or isolate, not several"]),
        ("[[partitions]]\nstart = \"1s\"\nheal = \"2s\"\nisolate = [1]\ndirection = \"sideways\"\n", None, &["direction"]),
    ];
    for (extra, line, want) in cases.iter().skip(1) {
        let src = format!("{base}{extra}");
        let s = err(&src, &[], want);
        let want_line = line.map(|l| format!("scenarios/x.toml: line {l}: "));
        if let Some(wl) = want_line {
            assert!(s.starts_with(&wl), "want {wl:?}: {s}");
        }
    }
}

#[test]
fn participants_and_duration_zero() {
    err(
        "participants = 0\nduration = \"60s\"\n",
        &[],
        &["line 1: participants: must be at least 1, got 0"],
    );
    err(
        "participants = 3\nduration = \"0s\"\n",
        &[],
        &["line 2: duration: must be greater than 0s"],
    );
}

#[test]
fn overrides_nested_arrays_and_strings() {
    let path = repo("scenarios/partition.toml");
    let sets: Vec<String> = [
        "protocol=none",
        "duration=90s",
        "network.loss=0.05",
        "sds.repair.t_min=\"10s\"",
        "partitions.0.heal=\"100s\"",
        "partitions.0.fractions=[0.25, 0.75]",
        "workload.arrival=constant",
        "description=hello world",
        "sds.sync.policy = trickle",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let l = load(&path, None, &sets).unwrap();
    let s = &l.scenario;
    assert_eq!(s.protocol, Protocol::None);
    assert_eq!(s.duration, SimDuration::from_secs(90));
    assert_eq!(s.network.loss, 0.05);
    assert_eq!(s.sds.repair.t_min, SimDuration::from_secs(10));
    assert_eq!(s.partitions[0].heal, SimDuration::from_secs(100));
    assert_eq!(s.partitions[0].fractions, Some(vec![0.25, 0.75]));
    assert_eq!(s.workload.arrival, Arrival::Constant);
    assert_eq!(s.description, "hello world");
    assert_eq!(s.sds.sync.policy, SyncPolicyName::Trickle);
    // Untouched keys keep their file values.
    assert_eq!(s.participants, 200);
    assert_eq!(s.sds.repair.t_max, SimDuration::from_secs(120));
}

#[test]
fn overrides_create_tables_and_append() {
    let l = load_src(
        MINIMAL,
        &[
            "sds.repair.max_requests=5",
            "partitions.0.start=1s",
            "partitions.0.heal=2s",
            "partitions.0.ids=[[0], [1, 2]]",
            "partitions.1={ start = \"3s\", heal = \"4s\", fractions = [0.5, 0.5] }",
            "network.latency.distribution={ kind = \"constant\", value = \"5ms\" }",
        ],
    )
    .unwrap();
    let s = &l.scenario;
    assert_eq!(s.sds.repair.max_requests, 5);
    assert_eq!(s.partitions.len(), 2);
    assert_eq!(s.partitions[0].ids, Some(vec![vec![0], vec![1, 2]]));
    assert_eq!(s.partitions[1].start, SimDuration::from_secs(3));
    assert_eq!(
        s.network.latency.distribution,
        Some(Distribution::Constant {
            value: SimDuration::from_millis(5)
        })
    );
}

#[test]
fn override_errors() {
    err(MINIMAL, &["sds.causal_history=abc"], &[
        "scenarios/x.toml: --set sds.causal_history=abc: invalid type: string \"abc\", expected u32",
    ]);
    err(
        MINIMAL,
        &["network.loss=1.5"],
        &["--set network.loss=1.5: must be in [0, 1], got 1.5"],
    );
    err(
        MINIMAL,
        &["participantz=3"],
        &["--set participantz=3: unknown key \"participantz\""],
    );
    err(
        MINIMAL,
        &["network.los=3"],
        &["--set network.los=3: unknown key \"network.los\""],
    );
    err(
        MINIMAL,
        &["noequals"],
        &["--set noequals: expected KEY=VALUE"],
    );
    err(MINIMAL, &["=3"], &["--set =3: empty key"]);
    err(MINIMAL, &["sds..x=3"], &["empty path segment"]);
    err(
        MINIMAL,
        &["seed.x=3"],
        &["--set seed.x=3: seed: invalid type: map, expected u64"],
    );
    err(
        &format!("{MINIMAL}seed = 5\n"),
        &["seed.x=3"],
        &["--set seed.x=3: seed is of type integer, not a table or array"],
    );
    err(
        MINIMAL,
        &["partitions.2.start=1s"],
        &["--set partitions.2.start=1s: index 2 out of range: partitions has 0 entries"],
    );
    let with_part =
        format!("{MINIMAL}[[partitions]]\nstart = \"1s\"\nheal = \"2s\"\nfractions = [0.5, 0.5]\n");
    err(
        &with_part,
        &["partitions.x=1"],
        &["partitions is an array; expected a numeric index, got \"x\""],
    );
    err(
        &with_part,
        &["partitions.0.heal=0s"],
        &["--set partitions.0.heal=0s: must be after start (1s), got 0s"],
    );
    // A partly-written new partition: error points at the missing key, not a line.
    err(
        MINIMAL,
        &["partitions.0.start=1s"],
        &["missing required key \"partitions.0.heal\""],
    );
    // An error elsewhere in the file still gets its line with overrides present.
    let s = err(
        "participants = 4\nduration = \"60s\"\n[sds]\ncausal_history = 5000\n",
        &["seed=3"],
        &["line 4: sds.causal_history: must be at most 1,000"],
    );
    assert!(!s.contains("--set"), "{s}");
}

#[test]
fn regions_file_errors() {
    let dir = tempfile::tempdir().unwrap();
    let scen = dir.path().join("s.toml");
    let src = "participants = 4\nduration = \"60s\"\n[network.latency]\nregions = \"m.csv\"\n";
    std::fs::write(&scen, src).unwrap();
    let e = load(&scen, None, &[]).unwrap_err().to_string();
    assert!(
        e.contains("s.toml: line 4: network.latency.regions: cannot read region matrix"),
        "{e}"
    );
    assert!(e.contains("m.csv"), "{e}");
    std::fs::write(dir.path().join("m.csv"), "from,A,B\nA,,1\nB,x,\n").unwrap();
    let e = load(&scen, None, &[]).unwrap_err().to_string();
    assert!(
        e.contains("m.csv: line 3: RTT from \"B\" to \"A\" is not a number"),
        "{e}"
    );
    std::fs::write(dir.path().join("m.csv"), "from,A,B\nA,,1\nB,2,\n").unwrap();
    let l = load(&scen, None, &[]).unwrap();
    assert_eq!(l.regions.unwrap().one_way_ms(1, 0), 1.0);
}

#[test]
fn canonical_durations_in_json_and_toml() {
    let l = load_src(
        "participants = 4\nduration = \"1.5s\"\ndrain = \"5400s\"\nreport_interval = \"62500us\"\n",
        &[],
    )
    .unwrap();
    let json = serde_json::to_value(&l.scenario).unwrap();
    assert_eq!(json["duration"], "1500ms");
    assert_eq!(json["drain"], "90m");
    assert_eq!(json["report_interval"], "62500us");
    // Full round trip through TOML.
    let text = toml::to_string(&l.scenario).unwrap();
    let back = load_src(&text, &[]).unwrap();
    assert_eq!(back.scenario, l.scenario);
    assert_eq!(back.config_hash, l.config_hash);
}

/// Every key of the schema appears in `scenarios/README.md`.
#[test]
fn readme_documents_every_key() {
    let readme = std::fs::read_to_string(repo("scenarios/README.md")).unwrap();
    let mut s = load_src(MINIMAL, &[]).unwrap().scenario;
    s.network.latency.regions = Some("r.csv".into());
    s.network.latency.same_region = Some(SimDuration::ZERO);
    s.network.latency.jitter = Some(Distribution::Constant {
        value: SimDuration::ZERO,
    });
    s.partitions.push(Partition {
        start: SimDuration::ZERO,
        heal: SimDuration::ZERO,
        fractions: Some(vec![]),
        ids: Some(vec![]),
        isolate: None,
        direction: Default::default(),
    });
    // Optional tables and keys that are omitted when unset.
    s.partitions[0].isolate = Some(vec![]);
    s.partitions[0].direction = PartitionDirection::OneWay;
    s.network.gilbert_elliott = Some(GilbertElliott {
        p: 0.0,
        r: Some(0.0),
        h: 0.0,
        k: 1.0,
    });
    s.network.degradations.push(Degradation {
        start: SimDuration::ZERO,
        end: SimDuration::ZERO,
        extra_latency: SimDuration::ZERO,
        loss: 0.0,
        ids: Some(vec![]),
    });
    s.network.links.push(LinkOverride {
        from: 0,
        to: 1,
        extra_latency: SimDuration::ZERO,
        loss: 0.0,
        bidirectional: true,
    });
    s.node_classes.push(NodeClass {
        name: "x".into(),
        fraction: Some(0.0),
        ids: Some(vec![]),
        uplink_bps: Some(1),
        downlink_bps: Some(1),
        extra_latency: SimDuration::ZERO,
        loss: 0.0,
    });
    s.churn.offline.push(OfflineWindow {
        ids: vec![0],
        start: SimDuration::ZERO,
        end: Some(SimDuration::ZERO),
    });
    s.churn.random = Some(RandomChurn {
        fraction: 0.1,
        start: SimDuration::ZERO,
        duration: Some(SimDuration::ZERO),
        stagger: SimDuration::ZERO,
    });
    s.churn.join.push(ChurnJoin {
        ids: vec![0],
        at: SimDuration::ZERO,
    });
    s.clock_skew_fixed.push(FixedSkew {
        id: 0,
        offset: SignedDuration(0),
    });
    s.workload.group = false;
    s.workload.direct = Some(DirectWorkload {
        conversations: 1,
        rate_per_s: 1.0,
    });
    s.store.nodes = 1;
    s.store.offline.push(StoreOffline {
        node: 0,
        start: SimDuration::ZERO,
        end: SimDuration::ZERO,
    });
    s.retrieval.strategy = Some(RetrievalStrategy::Both);
    s.light = Some(crate::scenario::Light {
        clients: Some(1),
        ids: Some(vec![]),
        service_nodes: 1,
        service_ids: vec![0],
        service_peers: Some(1),
        lightpush_peers: 1,
        lightpush_timeout: SimDuration::ZERO,
        lightpush_retry_interval: SimDuration::ZERO,
        lightpush_max_attempts: 0,
        keep_alive_interval: SimDuration::ZERO,
        pings_before_renewal: 0,
        subscription_timeout: SimDuration::ZERO,
        max_subscribers: 0,
        reconnect: Distribution::Constant {
            value: SimDuration::ZERO,
        },
        client_class: Some("x".into()),
        service_uplink_bps: Some(1),
        service_downlink_bps: Some(1),
        service_offline: vec![crate::scenario::ServiceOffline {
            node: 0,
            start: SimDuration::ZERO,
            end: SimDuration::ZERO,
            mode: Default::default(),
        }],
        network_switch: vec![crate::scenario::NetworkSwitch {
            ids: Some(vec![]),
            fraction: Some(0.0),
            at: SimDuration::ZERO,
            reconnect: None,
        }],
    });
    s.sds.lost_timeout = Some(SimDuration::ZERO);
    s.sds.lost_policy = LostPolicyName::Drop;
    s.sds.bloom_rollover = BloomRolloverName::Rebuild;
    s.sds.implementation = ImplementationName::External;
    s.sds.external.command = vec!["x".into()];
    s.sds.profile = Some(ProfileName::Spec);
    s.sds.mix.push(MixEntry {
        implementation: ImplementationName::Sdsim,
        fraction: Some(0.5),
        class: Some("x".into()),
        ids: Some(vec![0]),
    });
    let mut keys = std::collections::BTreeSet::new();
    collect_keys(&serde_json::to_value(&s).unwrap(), "", &mut keys);
    for skew in [
        ClockSkew::Constant {
            value: SignedDuration(0),
        },
        ClockSkew::Uniform {
            min: SignedDuration(0),
            max: SignedDuration(0),
        },
        ClockSkew::Normal {
            mean: SignedDuration(0),
            std_dev: SimDuration::ZERO,
        },
    ] {
        collect_keys(
            &serde_json::to_value(&skew).unwrap(),
            "clock_skew",
            &mut keys,
        );
    }
    let z = SimDuration::ZERO;
    for d in [
        Distribution::Constant { value: z },
        Distribution::Uniform { min: z, max: z },
        Distribution::Normal {
            mean: z,
            std_dev: z,
        },
        Distribution::Lognormal {
            median: z,
            sigma: 0.0,
        },
        Distribution::Pareto {
            scale: z,
            shape: 0.0,
        },
    ] {
        collect_keys(
            &serde_json::to_value(&d).unwrap(),
            "distribution",
            &mut keys,
        );
    }
    assert!(keys.len() > 40, "{keys:?}");
    for key in &keys {
        let leaf = key.rsplit('.').next().unwrap();
        assert!(
            readme.contains(&format!("`{key}`")) || readme.contains(&format!("`{leaf}`")),
            "scenarios/README.md does not document `{key}`"
        );
    }
    // Tables and full dotted paths of the main schema are spelled out.
    let is_distribution_field = |k: &str| {
        k.starts_with("distribution")
            || k.contains(".jitter.")
            || k.contains(".distribution.")
            || k.contains(".reconnect.")
    };
    for key in keys.iter().filter(|k| !is_distribution_field(k)) {
        assert!(
            readme.contains(&format!("`{key}`")),
            "scenarios/README.md lacks `{key}`"
        );
    }
}

fn collect_keys(v: &serde_json::Value, prefix: &str, out: &mut std::collections::BTreeSet<String>) {
    match v {
        serde_json::Value::Object(map) => {
            for (k, v) in map {
                let key = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                out.insert(key.clone());
                collect_keys(v, &key, out);
            }
        }
        serde_json::Value::Array(items) => {
            // partitions: document element keys as `partitions.<field>`.
            for item in items.iter().filter(|i| i.is_object()) {
                collect_keys(item, prefix, out);
            }
        }
        _ => {}
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn load_str_never_panics(src in "\\PC{0,200}") {
        let _ = load_str(&src, Path::new("p.toml"), None, &[]);
    }

    #[test]
    fn load_str_never_panics_on_toml_like_input(
        lines in proptest::collection::vec(
            prop_oneof![
                Just("participants = 4".to_string()),
                Just("duration = \"60s\"".to_string()),
                Just("[network]".to_string()),
                Just("[[partitions]]".to_string()),
                Just("[sds.repair]".to_string()),
                Just("[network.latency]".to_string()),
                "[a-z_]{1,12} = [-0-9.\"a-z\\[\\]{}=, ]{0,20}",
            ],
            0..12,
        ),
        sets in proptest::collection::vec("[a-z_.0-9]{0,16}=[-0-9.\"a-z\\[\\]{}, ]{0,12}", 0..3),
    ) {
        let src = lines.join("\n");
        let _ = load_str(&src, Path::new("p.toml"), Some(3), &sets);
    }
}

#[test]
fn override_inside_inline_table() {
    let path = repo("scenarios/partition.toml");
    let sets = [
        "network.latency.jitter.max=20ms".to_string(),
        "partitions.0.heal=\"200s\"".to_string(),
    ];
    let l = load(&path, None, &sets).unwrap();
    assert_eq!(
        l.scenario.network.latency.jitter,
        Some(Distribution::Uniform {
            min: SimDuration::ZERO,
            max: SimDuration::from_millis(20)
        })
    );
    assert_eq!(l.scenario.partitions[0].heal, SimDuration::from_secs(200));
    let e = load(&path, None, &["network.latency.jitter.max=20".to_string()]).unwrap_err();
    let s = e.to_string();
    assert!(
        s.contains("partition.toml: --set network.latency.jitter.max=20: "),
        "{s}"
    );
    assert!(s.contains("strings with a unit"), "{s}");
}

#[test]
fn churn_and_clock_skew_validation() {
    let ok = load_src(
        &format!(
            "{MINIMAL}clock_skew = {{ kind = \"uniform\", min = \"-2s\", max = \"2s\" }}\n[[clock_skew_fixed]]\nid = 1\noffset = \"-5s\"\n[churn]\nmode = \"crash\"\n[[churn.offline]]\nids = [1]\nstart = \"1s\"\nend = \"2s\"\n[churn.random]\nfraction = 0.2\nstart = \"5s\"\nduration = \"60s\"\n[[churn.join]]\nids = [3]\nat = \"10s\"\n"
        ),
        &[],
    )
    .unwrap();
    assert_eq!(
        ok.scenario.clock_skew_fixed[0].offset,
        SignedDuration(-5_000_000)
    );
    // round trip through TOML, config hash included
    let text = toml::to_string(&ok.scenario).unwrap();
    let back = load_src(&text, &[]).unwrap();
    assert_eq!(back.config_hash, ok.config_hash);
    // no churn: omitted from the resolved config
    let plain = load_src(MINIMAL, &[]).unwrap();
    let json = serde_json::to_string(&plain.scenario).unwrap();
    assert!(
        !json.contains("churn") && !json.contains("clock_skew"),
        "{json}"
    );

    let c = |extra: &str| format!("{MINIMAL}{extra}");
    err(
        &c("[[churn.offline]]\nids = [1]\nstart = \"1s\"\n"),
        &[],
        &["churn.offline.0.end", "required"],
    );
    err(
        &c("[[churn.offline]]\nids = [9]\nstart = \"1s\"\nend = \"2s\"\n"),
        &[],
        &["churn.offline.0.ids", "out of range"],
    );
    err(
        &c("[[churn.offline]]\nids = [1]\nstart = \"3s\"\nend = \"2s\"\n"),
        &[],
        &["churn.offline.0.end", "after start"],
    );
    err(
        &c("[[churn.offline]]\nids = [1]\nstart = \"60s\"\nend = \"70s\"\n"),
        &[],
        &["churn.offline.0.start"],
    );
    load_src(
        &c("[churn]\nmode = \"leave\"\n[[churn.offline]]\nids = [1]\nstart = \"1s\"\n"),
        &[],
    )
    .unwrap();
    err(
        &c("[churn.random]\nfraction = 1.5\nstart = \"1s\"\nduration = \"1s\"\n"),
        &[],
        &["churn.random.fraction"],
    );
    err(&c("[churn.random]\nfraction = 0.5\nstart = \"50s\"\nstagger = \"10s\"\nduration = \"1s\"\n"), &[], &["churn.random.start", "stagger"]);
    err(
        &c("[churn.random]\nfraction = 0.5\nstart = \"5s\"\n"),
        &[],
        &["churn.random.duration"],
    );
    err(
        &c("[[churn.join]]\nids = [1, 1]\nat = \"5s\"\n"),
        &[],
        &["churn.join.0.ids", "more than once"],
    );
    err(
        &c("[[churn.join]]\nids = [1]\nat = \"60s\"\n"),
        &[],
        &["churn.join.0.at"],
    );
    err(&c("[churn]\nmode = \"nap\"\n"), &[], &["nap"]);
    err(&c("[churn]\nbogus = 1\n"), &[], &["bogus"]);
    err(
        &c("clock_skew = { kind = \"uniform\", min = \"2s\", max = \"-2s\" }\n"),
        &[],
        &["clock_skew.min"],
    );
    err(
        &c("clock_skew = { kind = \"constant\", value = \"2d\" }\n"),
        &[],
        &["unknown unit"],
    );
    err(
        &c("clock_skew = { kind = \"constant\", value = \"25h\" }\n"),
        &[],
        &["clock_skew.value", "1d"],
    );
    err(
        &c("[[clock_skew_fixed]]\nid = 4\noffset = \"1s\"\n"),
        &[],
        &["clock_skew_fixed.0.id"],
    );
}

#[test]
fn store_retrieval_and_direct_keys_are_validated() {
    err(
        MINIMAL,
        &["store.page_size=0"],
        &["store.page_size", "between 1 and 100"],
    );
    err(MINIMAL, &["store.page_size=101"], &["store.page_size"]);
    err(
        MINIMAL,
        &["store.retention=0s"],
        &["store.retention", "greater than 0s"],
    );
    err(
        MINIMAL,
        &[
            "store.nodes=1",
            "store.offline.0.node=1",
            "store.offline.0.start=1s",
            "store.offline.0.end=2s",
        ],
        &["store.offline.0.node", "out of range"],
    );
    err(
        MINIMAL,
        &[
            "store.nodes=1",
            "store.offline.0.node=0",
            "store.offline.0.start=5s",
            "store.offline.0.end=5s",
        ],
        &["store.offline.0.end", "after start"],
    );
    err(
        MINIMAL,
        &["retrieval.strategy=store"],
        &["retrieval.strategy", "store.nodes = 0"],
    );
    err(
        MINIMAL,
        &[
            "retrieval.strategy=both",
            "store.nodes=1",
            "sds.repair.enabled=false",
        ],
        &["retrieval.strategy", "sds.repair.enabled = false"],
    );
    err(
        MINIMAL,
        &["retrieval.strategy=gossip"],
        &["retrieval.strategy"],
    );
    err(
        MINIMAL,
        &["retrieval.query_on_connect=always"],
        &["query_on_connect"],
    );
    err(
        MINIMAL,
        &["retrieval.missing_interval=0s"],
        &["retrieval.missing_interval"],
    );
    err(
        MINIMAL,
        &["workload.group=false"],
        &["workload.group", "[workload.direct]"],
    );
    err(
        MINIMAL,
        &[
            "workload.direct.conversations=7",
            "workload.direct.rate_per_s=1",
        ],
        &["workload.direct.conversations", "between 1 and", "= 6"],
    );
    err(
        MINIMAL,
        &[
            "workload.direct.conversations=1",
            "workload.direct.rate_per_s=0",
        ],
        &["workload.direct.rate_per_s", "> 0"],
    );
    err(
        MINIMAL,
        &[
            "workload.group=false",
            "workload.direct.conversations=1",
            "workload.direct.rate_per_s=1",
        ],
        &["workload.rate_per_s", "must be 0"],
    );
    // Valid: defaults derive the strategy from sds.repair.enabled.
    let l = load_src(MINIMAL, &["sds.repair.enabled=false"]).unwrap();
    assert_eq!(l.scenario.retrieval_strategy(), RetrievalStrategy::None);
    let l = load_src(MINIMAL, &[]).unwrap();
    assert_eq!(l.scenario.retrieval_strategy(), RetrievalStrategy::SdsR);
    // Store and retrieval defaults leave the resolved config (and config hash) unchanged.
    let json = serde_json::to_string(&l.scenario).unwrap();
    assert!(!json.contains("store") && !json.contains("retrieval") && !json.contains("direct"));
    let l = load_src(
        MINIMAL,
        &[
            "workload.rate_per_s=0",
            "workload.group=false",
            "workload.direct.conversations=6",
            "workload.direct.rate_per_s=0.5",
        ],
    )
    .unwrap();
    assert_eq!(
        l.scenario.workload.direct.as_ref().unwrap().conversations,
        6
    );
}

/// What `@waku/sds` 0.0.8 cannot run is refused by the loader (exit 2, before simulating),
/// naming the key and the fix, and not only by the adapter at `create`.
#[test]
fn js_waku_refusals_come_before_simulating() {
    let js = "sds.implementation=js-waku-0.0.8";
    let src = "participants = 4\nduration = \"60s\"\n[sds]\nmessage_id = \"unique\"\n";
    err(
        src,
        &[js],
        &["sds.message_id", "--set sds.message_id=payload-sha256"],
    );
    load_src(src, &[js, "sds.message_id=payload-sha256"]).expect("with the fix");
    // The implied profile gives js-waku's ids when the file names none.
    load_src(MINIMAL, &[js]).expect("minimal");
    for (set, key) in [
        ("sds.bloom_capacity=500", "sds.bloom_capacity"),
        ("sds.bloom_rollover=rebuild", "sds.bloom_rollover"),
        ("sds.sync.policy=trickle", "sds.sync.policy"),
        ("sds.lost_timeout=10s", "sds.lost_policy"),
    ] {
        err(MINIMAL, &[js, set], &[key]);
        // A mixed group with js-waku participants is held to the same rules.
        err(
            MINIMAL,
            &[
                set,
                "sds.mix=[{implementation = \"js-waku-0.0.8\", fraction = 0.5}]",
            ],
            &[key],
        );
    }
}

/// `sdsim-0.1` restores the four defaults sdsim had before issue 14; a js-waku participant
/// replaces it with the js-waku profile (its ids cannot be `unique`), another named profile
/// replaces it by `--set`.
#[test]
fn sdsim_01_profile_and_what_replaces_it() {
    let src = "participants = 4\nduration = \"60s\"\n[sds]\nprofile = \"sdsim-0.1\"\n";
    let old = load_src(src, &[]).unwrap().scenario.sds;
    assert_eq!(old.causal_history, 2);
    assert_eq!(old.message_id, MessageIdRule::Unique);
    assert_eq!(old.sync.policy, SyncPolicyName::Periodic);
    assert_eq!(old.repair.response_groups, 0);
    assert_eq!(old.profile, Some(ProfileName::Sdsim01));
    // Everything else is today's default.
    let now = SdsParams::default();
    assert_eq!(old.bloom_capacity, now.bloom_capacity);
    assert_eq!(old.resend_interval, now.resend_interval);
    assert_eq!(old.repair.t_min, now.repair.t_min);
    let js = load_src(src, &["sds.implementation=js-waku-0.0.8"])
        .unwrap()
        .scenario
        .sds;
    assert_eq!(js.profile, Some(ProfileName::JsWaku008));
    assert_eq!(js.message_id, MessageIdRule::PayloadSha256);
    assert_eq!(js.causal_history, 200);
    let spec = load_src(src, &["sds.profile=spec"]).unwrap().scenario.sds;
    assert_eq!(spec.profile, Some(ProfileName::Spec));
    assert_eq!(spec.bloom_rollover, BloomRolloverName::Rebuild);
    // Another named profile is not replaced: js-waku then refuses its ids before simulating.
    err(
        src,
        &["sds.profile=nim-sds", "sds.implementation=js-waku-0.0.8"],
        &["sds.message_id"],
    );
}
