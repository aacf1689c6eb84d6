// report.html's stylesheet, inline because the page may load nothing (its CSP forbids it);
// apart so that the Swift building the page is not lost in CSS.

extension HTMLReport {
    static let css = """
    :root{--bg:#fff;--fg:#1b1f24;--muted:#59636e;--line:#d1d9e0;--soft:#f6f8fa;--pass:#1a7f37;--pass-bg:#dafbe1;--fail:#cf222e;--fail-bg:#ffebe9;--inc:#9a6700;--inc-bg:#fff8c5;--nd:#59636e;--nd-bg:#eff2f5;--s0:#0969da;--s1:#bf3989;--s2:#1a7f37;--s3:#bc4c00;--s4:#8250df;--s5:#0a7c8c;--s6:#6e7781;--s7:#953800}
    @media (prefers-color-scheme:dark){:root{--bg:#0d1117;--fg:#e6edf3;--muted:#9198a1;--line:#30363d;--soft:#151b23;--pass:#3fb950;--pass-bg:#12261e;--fail:#f85149;--fail-bg:#2d1214;--inc:#d29922;--inc-bg:#2e2410;--nd:#9198a1;--nd-bg:#1f242c;--s0:#4493f8;--s1:#db61a2;--s2:#3fb950;--s3:#f0883e;--s4:#ab7df8;--s5:#39c5cf;--s6:#9198a1;--s7:#e3b341}}
    *{box-sizing:border-box}html{background:var(--bg);color:var(--fg)}
    body{margin:0;font:14px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
    main{max-width:1180px;margin:0 auto;padding:24px}
    h2{font-size:18px;margin:28px 0 8px;padding-bottom:4px;border-bottom:1px solid var(--line)}h3{font-size:15px;margin:16px 0 6px}
    code{font:12.5px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;background:var(--soft);padding:1px 4px;border-radius:4px;overflow-wrap:anywhere}
    .muted{color:var(--muted)}.small{font-size:12px}
    .banner{border-radius:8px;padding:16px 20px;border:1px solid;margin-bottom:16px}
    .banner .verdict{display:flex;align-items:baseline;gap:12px}.banner .word{font-size:28px;font-weight:700;letter-spacing:.02em}
    .banner .exit{font:13px ui-monospace,monospace;opacity:.8}.banner .sentence{margin:4px 0 0;font-size:15px}
    .banner .headline{margin:8px 0 0;padding-left:20px}
    .banner.pass{background:var(--pass-bg);border-color:var(--pass);color:var(--pass)}
    .banner.fail,.banner.error{background:var(--fail-bg);border-color:var(--fail);color:var(--fail)}
    .banner.inconclusive{background:var(--inc-bg);border-color:var(--inc);color:var(--inc)}
    .banner.interrupted{background:var(--nd-bg);border-color:var(--nd);color:var(--nd)}
    .banner p,.banner li{color:var(--fg)}
    .meta{display:grid;grid-template-columns:repeat(auto-fill,minmax(260px,1fr));gap:4px 24px;margin:0 0 8px}
    .meta div{display:flex;gap:8px}.meta dt{color:var(--muted);min-width:64px}.meta dd{margin:0;overflow-wrap:anywhere}
    .notice{border-left:4px solid var(--inc);background:var(--inc-bg);padding:4px 16px;border-radius:4px;margin-top:16px}
    .notice h2{border:0;font-size:15px;margin:8px 0 4px}.notice ul{margin:4px 0 10px;padding-left:20px}
    .scroll{overflow-x:auto}
    table{border-collapse:collapse;width:100%;margin:6px 0 10px;font-variant-numeric:tabular-nums}
    th,td{padding:5px 8px;border-bottom:1px solid var(--line);text-align:left;vertical-align:top}
    thead th{font-size:12px;color:var(--muted);font-weight:600;border-bottom:2px solid var(--line);white-space:nowrap}
    tbody th{font-weight:normal}.num{text-align:right;white-space:nowrap}td.neg{color:var(--fail);font-weight:600}
    table.objectives tbody th .name{font-weight:600;margin-right:8px}table.objectives tbody th code{display:inline-block}
    table.objectives tbody th{min-width:18em}table.objectives td.wl{min-width:10em;max-width:16em;overflow-wrap:anywhere}
    .reason{display:block;color:var(--muted);font-size:12px;margin-top:2px}
    tr.fail{background:var(--fail-bg)}tr.inconclusive,tr.warning{background:var(--inc-bg)}tr.warmup{color:var(--muted)}
    .badge{display:inline-block;padding:0 7px;border-radius:10px;font-size:12px;font-weight:600;border:1px solid;white-space:nowrap}
    .badge.pass{color:var(--pass);border-color:var(--pass)}.badge.fail{color:var(--fail);border-color:var(--fail);background:var(--fail-bg)}
    .badge.inconclusive,.badge.warnlvl{color:var(--inc);border-color:var(--inc)}.badge.muted{color:var(--nd);border-color:var(--line)}
    .toc{list-style:none;padding:0;display:flex;flex-wrap:wrap;gap:6px 18px}
    a{color:var(--s0)}
    .workload{margin-top:8px}.cmd{margin:0 0 4px}
    .charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(420px,1fr));gap:12px}
    figure{margin:0;border:1px solid var(--line);border-radius:6px;padding:8px 8px 4px}
    figcaption{font-size:12px;color:var(--muted);text-align:center}
    svg.chart{width:100%;height:auto;display:block}
    svg .grid line{stroke:var(--line);stroke-width:1}svg .axis{stroke:var(--muted);stroke-width:1}
    svg text{fill:var(--muted);font-size:11px;font-family:inherit}svg text.label{fill:var(--fg);font-size:11.5px}
    svg.chart:not(.trend) text{font-size:13px}svg.chart:not(.trend) text.label{font-size:13px}
    svg .line{fill:none;stroke-width:1.2;stroke-linejoin:round;opacity:.7}svg .line.em{stroke-width:2.2;opacity:1}
    .s0{stroke:var(--s0);fill:var(--s0)}.s1{stroke:var(--s1);fill:var(--s1)}.s2{stroke:var(--s2);fill:var(--s2)}.s3{stroke:var(--s3);fill:var(--s3)}
    .s4{stroke:var(--s4);fill:var(--s4)}.s5{stroke:var(--s5);fill:var(--s5)}.s6{stroke:var(--s6);fill:var(--s6)}.s7{stroke:var(--s7);fill:var(--s7)}
    svg .line.s0,svg .line.s1,svg .line.s2,svg .line.s3,svg .line.s4,svg .line.s5,svg .line.s6,svg .line.s7{fill:none}
    .legend{list-style:none;padding:0;margin:6px 0 0;display:flex;flex-wrap:wrap;gap:4px 16px;font-size:12px}
    .swatch{display:inline-block;width:14px;height:3px;margin-right:6px;vertical-align:middle}
    .swatch.s0{background:var(--s0)}.swatch.s1{background:var(--s1)}.swatch.s2{background:var(--s2)}.swatch.s3{background:var(--s3)}
    .swatch.s4{background:var(--s4)}.swatch.s5{background:var(--s5)}.swatch.s6{background:var(--s6)}.swatch.s7{background:var(--s7)}
    details{margin:8px 0}summary{cursor:pointer;font-weight:600}
    .notes{font-size:13px}.nowrap{white-space:nowrap}
    .unmeasured{font-size:13px}.unmeasured h3{font-size:13px;margin:10px 0 2px;color:var(--muted)}.unmeasured ul{margin:0;padding-left:20px}
    footer{margin-top:32px;padding-top:8px;border-top:1px solid var(--line);color:var(--muted);font-size:12px}
    """
}
