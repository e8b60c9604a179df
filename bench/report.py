"""Prints the comparison table of bench/compare.sh and draws its two charts as SVG (no plotting library needed).

Usage: python3 bench/report.py OUT   (OUT holds the <system>-<op>-<connections>x<pipeline>.json files)
"""
import glob
import json
import os
import sys

out = sys.argv[1]
rows = []
for path in sorted(glob.glob(os.path.join(out, "*.json"))):
    name = os.path.basename(path)[:-5]
    system, op, shape = name.rsplit("-", 2)
    r = json.load(open(path))
    rows.append(dict(system=system, op=op, shape=shape, ops=r["ops_per_sec"], lat=r["latency_ms"],
                     cpu=r["generator_cpu_share"], errors=sum(r["errors"].values())))

peer = {"portal-memory": "redis-nopersist", "portal-durable": "redis-fsync-always"}
index = {(r["system"], r["op"], r["shape"]): r for r in rows}
print(f"{'system':<20} {'op':<4} {'conn x pipe':<11} {'ops/s':>10} {'p50 ms':>8} {'p99 ms':>8} "
      f"{'p99.9 ms':>9} {'gen CPU':>8} {'errors':>7}  vs peer")
for r in rows:
    ratio = ""
    for mine, theirs in peer.items():
        if r["system"] == mine and (theirs, r["op"], r["shape"]) in index:
            ratio = f"{r['ops'] / index[(theirs, r['op'], r['shape'])]['ops']:.2f}x {theirs}"
    if r["system"] == "portal-durable" and ("etcd", r["op"], r["shape"]) in index:
        ratio += f"  {r['ops'] / index[('etcd', r['op'], r['shape'])]['ops']:.2f}x etcd"
    print(f"{r['system']:<20} {r['op']:<4} {r['shape']:<11} {r['ops']:>10,.0f} {r['lat']['p50']:>8.2f} "
          f"{r['lat']['p99']:>8.2f} {r['lat']['p999']:>9.2f} {r['cpu'] * 100:>7.0f}% {r['errors']:>7}  {ratio}")

colors = {"portal-memory": "#1f77b4", "redis-nopersist": "#d62728", "portal-durable": "#2ca02c",
          "redis-fsync-always": "#ff7f0e", "etcd": "#9467bd"}


def svg_bars(path, title, groups):
    """groups: list of (label, [(system, value)]); bars on a linear scale with their values printed."""
    width, height, left, top, bottom = 960, 420, 70, 40, 90
    vmax = max(v for _, bars in groups for _, v in bars) * 1.15
    slot = (width - left - 20) / len(groups)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" '
             f'font-size="11"><rect width="100%" height="100%" fill="white"/>',
             f'<text x="{width / 2}" y="20" text-anchor="middle" font-size="14">{title}</text>']
    for g, (label, bars) in enumerate(groups):
        bw = slot * 0.8 / max(1, len(bars))
        for b, (system, v) in enumerate(bars):
            h = (height - top - bottom) * v / vmax
            x = left + g * slot + slot * 0.1 + b * bw
            y = height - bottom - h
            parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{bw - 2:.1f}" height="{h:.1f}" '
                         f'fill="{colors.get(system, "#777")}"/>')
            parts.append(f'<text x="{x + bw / 2:.1f}" y="{y - 3:.1f}" text-anchor="middle" font-size="9">'
                         f'{v:,.0f}</text>')
        parts.append(f'<text x="{left + g * slot + slot / 2:.1f}" y="{height - bottom + 15}" '
                     f'text-anchor="middle">{label}</text>')
    for i, (system, color) in enumerate(colors.items()):
        parts.append(f'<rect x="{left + i * 170}" y="{height - 40}" width="12" height="12" fill="{color}"/>'
                     f'<text x="{left + i * 170 + 16}" y="{height - 30}">{system}</text>')
    parts.append(f'<line x1="{left}" y1="{height - bottom}" x2="{width - 20}" y2="{height - bottom}" '
                 f'stroke="black"/></svg>')
    open(path, "w").write("\n".join(parts))


shapes = []
for r in rows:
    key = (r["op"], r["shape"])
    if key not in shapes:
        shapes.append(key)
groups = [(f"{op.upper()} {shape}", [(r["system"], r["ops"]) for r in rows if (r["op"], r["shape"]) == (op, shape)])
          for op, shape in shapes]
svg_bars(os.path.join(out, "throughput.svg"), "Throughput, ops/s (connections x pipeline; 100-byte values)", groups)
pct = ["p50", "p90", "p99", "p999"]
lat_groups = [(p.replace("p999", "p99.9"), [(r["system"], r["lat"][p]) for r in rows
               if r["op"] == "set" and r["shape"] == "50x1"]) for p in pct]
svg_bars(os.path.join(out, "latency-set-50x1.svg"), "SET latency percentiles, ms (50 connections, pipeline 1)",
         lat_groups)
print(f"\ncharts: {out}/throughput.svg, {out}/latency-set-50x1.svg")
