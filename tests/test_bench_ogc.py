"""Smoke test of bench/bench_ogc.py's helpers (the benchmark itself is not part of the suite)."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from bench import bench_ogc


def test_percentile_is_nearest_rank():
    values = [float(v) for v in range(1, 101)]
    assert bench_ogc.percentile(values, 50) == 50
    assert bench_ogc.percentile(values, 99) == 99
    assert bench_ogc.percentile([3.0], 99) == 3.0


def test_next_link_keeps_path_and_query_of_the_servers_public_address():
    body = {
        "links": [
            {"rel": "self", "href": "https://nte.example.org/ogc/collections/reports/items?limit=1000"},
            {"rel": "next", "href": "https://nte.example.org/ogc/collections/reports/items?limit=1000&cursor=abc"},
        ]
    }
    assert bench_ogc.next_link(body) == "/ogc/collections/reports/items?limit=1000&cursor=abc"
    assert bench_ogc.next_link({"links": body["links"][:1]}) is None


def test_tree_rss_counts_the_children_of_a_server():
    child = subprocess.Popen([sys.executable, "-c", "import time; b = bytearray(64 << 20); time.sleep(30)"])
    try:
        deadline = time.time() + 10
        while bench_ogc.rss_kb(child.pid) < 60 << 10 and time.time() < deadline:
            time.sleep(0.05)
        assert child.pid in bench_ogc.process_tree(os.getpid())
        assert bench_ogc.tree_rss_mb(os.getpid()) >= bench_ogc.rss_kb(os.getpid()) / 1024 + 60
    finally:
        child.kill()
        child.wait()


def test_timing_rates_and_deep_offset():
    timing = bench_ogc.Timing(seconds=[0.5, 0.5], features=2000)
    assert timing.rate == pytest.approx(2000)
    deep = bench_ogc.offset_deep("/items", {"limit": "1000"}, None)
    assert deep(996_915) == ("/items", {"limit": "1000", "offset": "897000"})


def test_the_reference_servers_are_locked_with_hashes():
    for venv in (bench_ogc.TIPG, bench_ogc.PYGEOAPI):
        text = venv.lock.read_text()
        pins = [line for line in text.splitlines() if line[:1].isalpha()]
        assert pins, f"{venv.lock} pins nothing"
        assert all("==" in pin for pin in pins), pins
        assert text.count("--hash=sha256:") >= len(pins)
        assert any(pin.startswith(f"{venv.name}==") for pin in pins)
