from tests.factories import make_report


def test_smoke(client, db, anon_csrf):
    r = client.get("/report")
    assert r.status_code == 200, r.text
    r = client.get("/report?lang=ar")
    assert 'dir="rtl"' in r.text
    report, code = make_report(db)
    assert report.ward_code
    r = client.post("/api/reports", json={"lat": 51.5132, "lon": -0.1337, "date": "2026-11-20", "time": "23:00",
                                          "categories": ["followed"]})
    assert r.status_code == 201, r.text
    r2 = client.get(f"/api/reports/receipts/{r.json()['receipt_code']}")
    assert r2.status_code == 200, r2.text
    r = client.post("/report", data={"csrf_token": anon_csrf, "ward": report.ward_code, "date": "2026-11-20",
                                     "time_band": "22-02", "categories": ["followed", "spiking"]})
    assert r.status_code == 200, r.text
    assert "receipt-code" in r.text
