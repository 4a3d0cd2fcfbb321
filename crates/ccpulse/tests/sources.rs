//! Asterisk CDRs (Master.csv) and Amazon Connect CTRs through `ccpulse import`, with their
//! KPIs worked out by hand, and `quarantine replay --mapping` after a mapping is fixed.
#![allow(clippy::unwrap_used)]

mod common;

use common::{num, Cli};
use serde_json::Value;

/// Master.csv as cdr_csv writes it (loguniqueid=yes): times are the server's local time.
const MASTER_CSV: &str = concat!(
    // 1. Inbound through queue `sales`, agent 1001 talks 300 s.
    r#""","13800138000","4008001000","ext-queues","""Li Na"" <13800138000>","SIP/trunk-00000001","SIP/1001-00000002","Queue","sales,t,,,300","2021-01-04 09:00:00","2021-01-04 09:00:00","2021-01-04 09:05:00",300,300,"ANSWERED","DOCUMENTATION","1609722000.1""#,
    "\n",
    // 2. Inbound, left queue `sales` after 45 s (Queue answers the channel itself).
    r#""","13900139000","4008001000","ext-queues","","SIP/trunk-00000003","","Queue","sales,t,,,300","2021-01-04 09:10:00","2021-01-04 09:10:00","2021-01-04 09:10:45",45,45,"ANSWERED","DOCUMENTATION","1609722600.3""#,
    "\n",
    // 3. Inbound to a ring group: rings 12 s, agent 1002 talks 120 s.
    r#""","13700137000","4008001000","ext-group","","SIP/trunk-00000004","SIP/1002-00000005","Dial","SIP/1002&SIP/1003,20","2021-01-04 09:20:00","2021-01-04 09:20:12","2021-01-04 09:22:12",132,120,"ANSWERED","DOCUMENTATION","1609723200.4""#,
    "\n",
    // 4. Inbound, done in the IVR.
    r#""","13600136000","4008001000","from-pstn","","SIP/trunk-00000006","","Playback","balance","2021-01-04 09:30:00","2021-01-04 09:30:00","2021-01-04 09:31:00",60,60,"ANSWERED","DOCUMENTATION","1609723800.6""#,
    "\n",
    // 5. Inbound to voicemail.
    r#""","13500135000","4008001000","from-pstn","","SIP/trunk-00000007","","VoiceMail","1001@default","2021-01-04 09:40:00","2021-01-04 09:40:05","2021-01-04 09:41:00",60,55,"ANSWERED","DOCUMENTATION","1609724400.7""#,
    "\n",
    // 6. Outbound by 1001, the customer answers after 20 s, talk 180 s.
    r#""","1001","013912345678","from-internal","","SIP/1001-00000008","SIP/trunk-00000009","Dial","SIP/trunk/013912345678,60","2021-01-04 10:00:00","2021-01-04 10:00:20","2021-01-04 10:03:20",200,180,"ANSWERED","DOCUMENTATION","1609725600.8""#,
    "\n",
    // 7. Outbound by 1002, busy.
    r#""","1002","013812345678","from-internal","","SIP/1002-0000000a","","Dial","SIP/trunk/013812345678,60","2021-01-04 10:10:00","","2021-01-04 10:10:05",5,0,"BUSY","DOCUMENTATION","1609726200.10""#,
    "\n",
    // 8. 1001 calls 1002: internal, skipped.
    r#""","1001","1002","from-internal","","SIP/1001-0000000b","SIP/1002-0000000c","Dial","SIP/1002,20","2021-01-04 10:20:00","2021-01-04 10:20:03","2021-01-04 10:21:00",60,57,"ANSWERED","DOCUMENTATION","1609726800.11""#,
    "\n",
    // 9. An unknown disposition.
    r#""","13400134000","4008001000","from-pstn","","SIP/trunk-0000000d","","Playback","x","2021-01-04 10:30:00","","2021-01-04 10:30:10",10,0,"HUNG UP","DOCUMENTATION","1609727400.13""#,
    "\n",
    // 10. A cut line.
    r#""","13300133000","4008001000""#,
    "\n",
);

fn day(cli: &Cli, tenant: &str, metrics: &str, extra: &[&str]) -> Value {
    let mut args = vec![
        "--tenant",
        tenant,
        "--metrics",
        metrics,
        "--from",
        "2021-01-04",
        "--to",
        "2021-01-05",
    ];
    args.extend_from_slice(extra);
    let rows = cli.kpi(&args);
    assert_eq!(rows.len(), 1, "{rows:?}");
    rows[0].clone()
}

fn import(cli: &Cli, args: &[&str]) -> Value {
    let mut all = vec!["import", "--json"];
    all.extend_from_slice(args);
    let out = cli.run(&all);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    serde_json::from_str(text.lines().last().unwrap()).unwrap()
}

fn quarantine(cli: &Cli) -> Vec<Value> {
    let q: Value = serde_json::from_str(&cli.ok(&["quarantine", "list", "--json"])).unwrap();
    q["entries"].as_array().unwrap().clone()
}

#[test]
fn asterisk_master_csv_with_its_kpis_by_hand() {
    let cli = Cli::new();
    let file = cli.write("Master.csv", MASTER_CSV);
    let s = import(
        &cli,
        &[
            "--format",
            "asterisk-cdr",
            "--tenant",
            "pbx",
            file.to_str().unwrap(),
        ],
    );
    assert_eq!(s["read"], 10);
    assert_eq!(s["inserted"], 7);
    assert_eq!(s["rejected"], 2);
    assert_eq!(s["skipped"]["call between extensions"], 1);

    let r = day(
        &cli,
        "pbx",
        "contacts,offered,answered,abandoned,self_service,outbound,outbound_connected,asa,avg_talk,talk_minutes",
        &[],
    );
    assert_eq!(num(&r, "contacts"), 7.0);
    // Inbound: 1, 2, 3, 4 and 5 (voicemail).
    assert_eq!(num(&r, "offered"), 5.0);
    assert_eq!(num(&r, "answered"), 2.0);
    assert_eq!(num(&r, "abandoned"), 1.0);
    assert_eq!(num(&r, "self_service"), 1.0);
    assert_eq!(num(&r, "outbound"), 2.0);
    assert_eq!(num(&r, "outbound_connected"), 1.0);
    // Answered waits: 0 (Queue answered at once) and 12 s of ringing.
    assert_eq!(num(&r, "asa"), 6.0);
    // Talk of answered contacts of both directions: 300, 120, 180.
    assert_eq!(num(&r, "avg_talk"), 200.0);
    assert_eq!(num(&r, "talk_minutes"), 10.0);
    let by_agent = cli.kpi(&[
        "--tenant",
        "pbx",
        "--metrics",
        "answered",
        "--by",
        "agent",
        "--from",
        "2021-01-04",
        "--to",
        "2021-01-05",
        "--filter",
        "direction=inbound",
    ]);
    let agents: Vec<(String, f64)> = by_agent
        .iter()
        .map(|r| {
            (
                r["agent"].as_str().unwrap_or("-").to_owned(),
                num(r, "answered"),
            )
        })
        .collect();
    assert_eq!(
        agents,
        vec![
            ("1001".into(), 1.0),
            ("1002".into(), 1.0),
            ("-".into(), 0.0)
        ]
    );
    // Local time 09:00 in Shanghai: the hour bucket of the first call.
    let hours = cli.kpi(&[
        "--tenant",
        "pbx",
        "--metrics",
        "offered",
        "--by",
        "hour",
        "--from",
        "2021-01-04",
        "--to",
        "2021-01-05",
    ]);
    assert_eq!(hours[0]["hour"], "2021-01-04T09:00");
    assert_eq!(num(&hours[0], "offered"), 5.0);

    // Region from the caller's number (Master.csv has none): by province, then province/city.
    let mut want: std::collections::BTreeMap<String, f64> = std::collections::BTreeMap::new();
    for n in [
        "13800138000",
        "13900139000",
        "13700137000",
        "13600136000",
        "13500135000",
    ] {
        let region = ccpulse_ingest::region::region_of_phone(n).expect("a Chinese mobile block");
        *want.entry(region.to_owned()).or_default() += 1.0;
    }
    assert_eq!(
        ccpulse_ingest::region::region_of_phone("13800138000"),
        Some("北京市")
    );
    let regions = cli.kpi(&[
        "--tenant",
        "pbx",
        "--metrics",
        "offered",
        "--by",
        "region",
        "--from",
        "2021-01-04",
        "--to",
        "2021-01-05",
        "--filter",
        "direction=inbound",
    ]);
    let got: std::collections::BTreeMap<String, f64> = regions
        .iter()
        .map(|r| (r["region"].as_str().unwrap().to_owned(), num(r, "offered")))
        .collect();
    assert_eq!(got, want);
    let provinces = cli.kpi(&[
        "--tenant",
        "pbx",
        "--metrics",
        "offered",
        "--by",
        "province",
        "--from",
        "2021-01-04",
        "--to",
        "2021-01-05",
        "--filter",
        "province=北京市",
    ]);
    assert_eq!(provinces.len(), 1);
    assert_eq!(num(&provinces[0], "offered"), want["北京市"]);

    let q = quarantine(&cli);
    assert_eq!(q.len(), 2);
    assert_eq!(q[0]["line"], 9);
    assert_eq!(q[0]["field"], "disposition");
    assert!(q[0]["reason"].as_str().unwrap().contains("HUNG UP"));
    assert_eq!(q[1]["line"], 10);
    assert!(q[1]["reason"].as_str().unwrap().contains("3 columns"));

    // Re-import: nothing changes.
    let again = import(
        &cli,
        &[
            "--format",
            "asterisk-cdr",
            "--tenant",
            "pbx",
            file.to_str().unwrap(),
        ],
    );
    assert_eq!(again["inserted"], 0);
    assert_eq!(again["unchanged"], 7);

    // A mapping that calls from-internal calls internal: replaying changes nothing for the
    // two bad lines (still bad), and a stricter mapping on import skips the outbound calls.
    let strict = cli.write(
        "cdr.toml",
        "[contexts]\ninbound = [\"ext-*\", \"from-pstn\"]\ninternal = [\"from-internal\"]\n",
    );
    let replayed: Value = serde_json::from_str(&cli.ok(&[
        "quarantine",
        "replay",
        "--format",
        "asterisk-cdr",
        "--mapping",
        strict.to_str().unwrap(),
        "--json",
    ]))
    .unwrap();
    assert_eq!(replayed["rejected"], 2);
    let t2 = import(
        &cli,
        &[
            "--format",
            "asterisk-cdr",
            "--tenant",
            "pbx2",
            "--mapping",
            strict.to_str().unwrap(),
            file.to_str().unwrap(),
        ],
    );
    assert_eq!(t2["inserted"], 5);
    assert_eq!(t2["skipped"]["call between extensions"], 3);
}

const CTRS: &str = concat!(
    // c-1: inbound, 20 s IVR, 40 s in queue, 300 s talk, 20 s hold, 30 s after-contact work.
    r#"{"AWSAccountId":"123456789012","AWSContactTraceRecordFormatVersion":"2017-03-10","Agent":{"ARN":"arn:aws:connect:x:agent/1","AfterContactWorkDuration":30,"AfterContactWorkEndTimestamp":"2021-01-04T01:06:30Z","AfterContactWorkStartTimestamp":"2021-01-04T01:06:00Z","AgentInteractionDuration":280,"ConnectedToAgentTimestamp":"2021-01-04T01:01:00Z","CustomerHoldDuration":20,"NumberOfHolds":1,"Username":"li.na"},"AgentConnectionAttempts":1,"Attributes":{"lob":"mobile","fcr":"yes"},"Channel":"VOICE","ConnectedToSystemTimestamp":"2021-01-04T01:00:00Z","ContactId":"c-1","CustomerEndpoint":{"Address":"+8613800138000","Type":"TELEPHONE_NUMBER"},"DisconnectReason":"AGENT_DISCONNECT","DisconnectTimestamp":"2021-01-04T01:06:00Z","InitialContactId":null,"InitiationMethod":"INBOUND","InitiationTimestamp":"2021-01-04T01:00:00Z","Queue":{"ARN":"arn:q","DequeueTimestamp":"2021-01-04T01:01:00Z","Duration":40,"EnqueueTimestamp":"2021-01-04T01:00:20Z","Name":"Support"},"SystemEndpoint":{"Address":"+864008001000","Type":"TELEPHONE_NUMBER"}}"#,
    // c-2 (same line, as Firehose writes): hangs up after 30 s in the queue.
    r#"{"Agent":null,"Attributes":{"lob":"broadband"},"Channel":"VOICE","ConnectedToSystemTimestamp":"2021-01-04T02:00:00Z","ContactId":"c-2","CustomerEndpoint":{"Address":"+8613900139000","Type":"TELEPHONE_NUMBER"},"DisconnectReason":"CUSTOMER_DISCONNECT","DisconnectTimestamp":"2021-01-04T02:00:40Z","InitiationMethod":"INBOUND","InitiationTimestamp":"2021-01-04T02:00:00Z","Queue":{"DequeueTimestamp":"2021-01-04T02:00:40Z","Duration":30,"EnqueueTimestamp":"2021-01-04T02:00:10Z","Name":"Support"}}"#,
    "\n",
    // c-3: a chat, 10 s in queue, 600 s with the agent.
    r#"{"Agent":{"ConnectedToAgentTimestamp":"2021-01-04T03:00:10Z","Username":"wang.wei"},"Channel":"CHAT","ContactId":"c-3","DisconnectReason":"CUSTOMER_DISCONNECT","DisconnectTimestamp":"2021-01-04T03:10:10Z","InitiationMethod":"API","InitiationTimestamp":"2021-01-04T03:00:00Z","Queue":{"EnqueueTimestamp":"2021-01-04T03:00:00Z","Name":"Chat"}}"#,
    "\n",
    // c-4: self-service in the IVR.
    r#"{"Agent":null,"Channel":"VOICE","ConnectedToSystemTimestamp":"2021-01-04T04:00:00Z","ContactId":"c-4","DisconnectReason":"CONTACT_FLOW_DISCONNECT","DisconnectTimestamp":"2021-01-04T04:01:00Z","InitiationMethod":"INBOUND","InitiationTimestamp":"2021-01-04T04:00:00Z","Queue":null}"#,
    "\n",
    // c-5: an outbound call by li.na, transferred to an external number.
    r#"{"Agent":{"ConnectedToAgentTimestamp":"2021-01-04T05:00:00Z","Username":"li.na","AfterContactWorkEndTimestamp":"2021-01-04T05:02:10Z"},"Channel":"VOICE","ContactId":"c-5","DisconnectTimestamp":"2021-01-04T05:02:00Z","InitiationMethod":"OUTBOUND","InitiationTimestamp":"2021-01-04T05:00:00Z","TransferredToEndpoint":{"Address":"+8601012345678"},"Queue":{"Name":"Outbound"}}"#,
    "\n",
    // A task: skipped.
    r#"{"Channel":"TASK","ContactId":"t-1","InitiationMethod":"API","InitiationTimestamp":"2021-01-04T06:00:00Z"}"#,
    "\n",
    // Broken JSON, then an unknown channel.
    r#"{"ContactId":"c-6","Channel":"VOICE",}"#,
    "\n",
    r#"{"ContactId":"c-7","Channel":"FAX","InitiationTimestamp":"2021-01-04T07:00:00Z"}"#,
    "\n",
);

#[test]
fn connect_ctrs_with_their_kpis_by_hand() {
    let cli = Cli::new();
    cli.ok(&["tenant", "set", "cloud", "--timezone", "UTC"]);
    let file = cli.write("ctr.json", CTRS);
    let map = cli.write(
        "ctr.toml",
        "[attributes]\nbusiness_line = \"lob\"\nresolved_first = \"fcr\"\n",
    );
    let s = import(
        &cli,
        &[
            "--format",
            "connect-ctr",
            "--tenant",
            "cloud",
            "--mapping",
            map.to_str().unwrap(),
            file.to_str().unwrap(),
        ],
    );
    assert_eq!(s["read"], 8);
    assert_eq!(s["inserted"], 5);
    assert_eq!(s["rejected"], 2);
    assert_eq!(s["skipped"].as_object().unwrap().len(), 1);

    let r = day(
        &cli,
        "cloud",
        "contacts,offered,answered,abandoned,self_service,outbound,asa,avg_wait,avg_talk,aht",
        &[],
    );
    assert_eq!(num(&r, "contacts"), 5.0);
    assert_eq!(num(&r, "offered"), 4.0);
    assert_eq!(num(&r, "answered"), 2.0);
    assert_eq!(num(&r, "abandoned"), 1.0);
    assert_eq!(num(&r, "self_service"), 1.0);
    assert_eq!(num(&r, "outbound"), 1.0);
    // Answered waits 40 and 10 s; with the abandon's 30 s.
    assert_eq!(num(&r, "asa"), 25.0);
    assert_eq!(num(&r, "avg_wait"), 80.0 / 3.0);
    // Talk 300 (c-1), 600 (c-3), 120 (c-5).
    assert_eq!(num(&r, "avg_talk"), 340.0);
    // Handle: 300+20+30, 600, 120+10.
    assert_eq!(num(&r, "aht"), 360.0);
    let lines = cli.kpi(&[
        "--tenant",
        "cloud",
        "--metrics",
        "offered,fcr",
        "--by",
        "business_line",
        "--from",
        "2021-01-04",
        "--to",
        "2021-01-05",
    ]);
    assert_eq!(lines[0]["business_line"], "broadband");
    assert_eq!(lines[1]["business_line"], "mobile");
    assert_eq!(num(&lines[1], "fcr"), 1.0);
    let chat = &cli.kpi(&[
        "--tenant",
        "cloud",
        "--metrics",
        "answered",
        "--from",
        "2021-01-04",
        "--to",
        "2021-01-05",
        "--filter",
        "channel=chat",
    ])[0];
    assert_eq!(num(chat, "answered"), 1.0);

    let q = quarantine(&cli);
    assert_eq!(q.len(), 2);
    assert_eq!(q[0]["line"], 6);
    assert!(q[0]["reason"].as_str().unwrap().contains("broken JSON"));
    assert_eq!(q[1]["line"], 7);
    assert_eq!(q[1]["field"], "Channel");
}

#[test]
fn csv_rows_replay_through_a_fixed_mapping() {
    let cli = Cli::new();
    cli.ok(&["tenant", "set", "shop", "--timezone", "UTC"]);
    let mapping = |outcomes: &str| {
        format!(
            "[columns]\nid = \"Ticket\"\ndatetime = \"Start\"\ndirection = \"Dir\"\n\
             wait_s = \"Wait\"\ntalk_s = \"Talk\"\noutcome = \"Result\"\n\
             [values.direction]\nIN = \"inbound\"\n[values.outcome]\n{outcomes}"
        )
    };
    let old = cli.write("old.toml", &mapping("OK = \"answered\"\n"));
    let csv = cli.write(
        "calls.csv",
        "Ticket,Start,Dir,Wait,Talk,Result\n\
         t1,2024-03-01 09:00:00,IN,20,180,OK\n\
         t2,2024-03-01 09:10:00,IN,40,,LOST\n\
         t3,\"2024-03-01 09:20:00\",IN,5,,\"LOST, ON HOLD\"\n",
    );
    let s = import(
        &cli,
        &[
            "--format",
            "csv",
            "--mapping",
            old.to_str().unwrap(),
            "--tenant",
            "shop",
            csv.to_str().unwrap(),
        ],
    );
    assert_eq!(
        (s["inserted"].as_u64(), s["rejected"].as_u64()),
        (Some(1), Some(2))
    );
    let q = quarantine(&cli);
    // The quarantine keeps the header with the row, so the row can be read alone.
    assert_eq!(
        q[1]["raw"],
        "Ticket,Start,Dir,Wait,Talk,Result\nt3,2024-03-01 09:20:00,IN,5,,\"LOST, ON HOLD\""
    );
    // Without a mapping, CSV rows wait.
    let waiting: Value =
        serde_json::from_str(&cli.ok(&["quarantine", "replay", "--json"])).unwrap();
    assert_eq!(waiting["need_mapping"], 2);
    let fixed = cli.write(
        "fixed.toml",
        &mapping("OK = \"answered\"\nLOST = \"abandoned\"\n\"LOST, ON HOLD\" = \"abandoned\"\n"),
    );
    let replayed: Value = serde_json::from_str(&cli.ok(&[
        "quarantine",
        "replay",
        "--mapping",
        fixed.to_str().unwrap(),
        "--json",
    ]))
    .unwrap();
    assert_eq!(replayed["imported"], 2);
    assert!(quarantine(&cli).is_empty());
    let r = day_shop(&cli);
    assert_eq!(num(&r, "offered"), 3.0);
    assert_eq!(num(&r, "abandoned"), 2.0);
    assert_eq!(num(&r, "avg_wait"), 65.0 / 3.0);
}

fn day_shop(cli: &Cli) -> Value {
    cli.kpi(&[
        "--tenant",
        "shop",
        "--metrics",
        "offered,abandoned,avg_wait",
        "--from",
        "2024-03-01",
        "--to",
        "2024-03-02",
    ])[0]
        .clone()
}
