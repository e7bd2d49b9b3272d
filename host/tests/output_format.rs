//! The contract's `output-format`: a task hands a key or value over already
//! encoded only where `open-task` asked for it, and what it writes is what
//! the worker's converter writes from the typed form.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use weir::convert::Converter;
use weir::record::{OutputFormat, Part, PolledRecord};
use weir::runtime::{EMBEDDED, Grants, HostServices, Limits, Runtime};

const DATAGEN: &str = "io.confluent.kafka.connect.datagen.DatagenConnector";

/// Polls a fresh datagen task (same records every time: they depend only on
/// the task and iteration) until `n` records arrive.
fn poll_datagen(rt: &Runtime, output: OutputFormat, n: usize) -> Vec<PolledRecord> {
    let (_, bytes) = EMBEDDED.iter().find(|(name, _)| *name == "datagen").expect("datagen is embedded");
    let plugin = rt.load("test:datagen", bytes).expect("datagen loads");
    let limits = Limits { memory_bytes: 256 << 20, cpu_per_call: Duration::from_secs(10) };
    let mut instance = rt
        .instantiate(&plugin, Arc::new(Grants::default()), limits, HostServices::detached("test"))
        .expect("instantiate");
    let config: BTreeMap<String, String> =
        [("kafka.topic", "t"), ("quickstart", "orders"), ("max.interval", "0"), ("iterations", "-1")]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
    let task = instance.open_task(DATAGEN, 0, &config, output).expect("call").expect("open");
    let mut records = Vec::new();
    while records.len() < n {
        records.extend(instance.poll(task, 500).expect("call").expect("poll").into_records().expect("records"));
    }
    records.truncate(n);
    records
}

#[test]
fn parts_are_encoded_only_where_asked_and_match_the_converter() {
    let rt = Runtime::new(None).expect("engine");
    let json = Converter::json(true);
    let typed = poll_datagen(&rt, OutputFormat::default(), 20);
    let asked = OutputFormat { key: None, value: json.task_encoding() };
    let encoded = poll_datagen(&rt, asked, 20);
    for (t, e) in typed.iter().zip(&encoded) {
        let Some(Part::Typed(data)) = &t.value else { panic!("typed was asked for, got {:?}", t.value) };
        let Some(Part::Encoded(bytes)) = &e.value else { panic!("JSON was asked for, got {:?}", e.value) };
        assert!(matches!(e.key, None | Some(Part::Typed(_))), "the key was asked typed: {:?}", e.key);
        let converted = json.convert(Some(data)).expect("converts").expect("not null");
        assert_eq!(String::from_utf8_lossy(bytes), String::from_utf8_lossy(&converted));
    }
}
