#!/usr/bin/env bash
# QC reports: `qsmtk run` writes one per scan and the cohort index; `qsmtk report` rebuilds them
# with lesion and region tables. The page must be self-contained (no network), hold the tables,
# figures that decode, the viewer's data; opened in headless Chromium (playwright-core from web/
# with the system's chromium) the viewer must draw both canvases. A screenshot is kept in
# $QSMTK_ARTEFACTS. Without Chromium the browser part is skipped, with a message.
source "$(dirname "$0")/lib.sh"
Q="$QSMTK"
"$Q" simulate sim --size small -q > /dev/null
"$Q" simulate sim --size small --subject 02 --seed 2 -q > /dev/null
assert_exit 0 "$Q" run sim out participant -q
assert_stdout_has "QC reports: out/index.html"
assert_file out/sub-01_report.html out/sub-02_report.html out/sub-01_report.json out/index.html
T=sim/derivatives/truth/sub-{subject}/anat/sub-{subject}
assert_exit 0 "$Q" report out --lesions "${T}_desc-lesions_dseg.nii.gz" --labels "${T}_dseg.nii.gz"
assert_stdout_has "sub-02 -> out/sub-02_report.html"

"$PY" - out/sub-01_report.html out/index.html <<'PY' || fail "report page"
import base64, io, json, re, sys
from PIL import Image
page = open(sys.argv[1], encoding="utf-8").read()
# Self-contained: no external scripts, styles, images or fetches.
assert not re.search(r"""<(script|link|img)[^>]+(src|href)=['"]?(https?:)?//""", page), "external resource"
assert "<link" not in page and "@import" not in page
for table, rows in (("lesions", 16), ("regions", 21), ("summary", 3)):
    m = re.search(r"<table id='%s'>.*?<tbody>(.*?)</tbody>" % table, page, re.S)
    assert m and m.group(1).count("<tr") == rows, (table, m and m.group(1).count("<tr"))
figures = re.findall(r"src='data:image/png;base64,([^']+)'", page)
assert len(figures) == 6, len(figures)
for f in figures:
    im = Image.open(io.BytesIO(base64.b64decode(f)))
    assert im.size[0] > 300 and im.size[1] > 40 and len(set(im.convert("L").getdata())) > 10, im.size
spec = json.loads(re.search(r"<script type='application/json' id='qsmtk-volumes'>(.*?)</script>", page, re.S).group(1))
assert len(spec["left"]) == 2 and spec["left"][1]["labels"]["labels"] == ["", "lesion", "PRL"]
assert {c["title"] for c in spec["right"]} >= {"Magnitude (first echo)", "Local field (Hz)", "Total field (Hz)", "R2* (1/s)"}
import gzip
chi = gzip.decompress(base64.b64decode(spec["volumes"][spec["left"][0]["volume"]]))
assert chi[344:347] == b"n+1" and int.from_bytes(chi[0:4], "little") == 348
assert "niivue" in page and "qsmtkViewers" in page
index = open(sys.argv[2], encoding="utf-8").read()
assert "sub-01_report.html" in index and "sub-02_report.html" in index and index.count("<circle") >= 8
print(f"  report: {len(page) / 1e6:.1f} MB, {len(figures)} figures, viewer volumes {len(spec['volumes'])}")
PY
[[ $(json_get out/sub-01_report.json 'j["Lesions"]') == 16 ]] || fail "lesion count in the summary"

# A second run skips the scans and keeps their reports; --no-report writes none.
assert_exit 0 "$Q" run sim out participant -q
assert_file out/sub-01_report.html
assert_exit 0 "$Q" run sim out3 participant --participant-label 01 --no-report -q
[[ ! -e out3/sub-01_report.html && ! -e out3/index.html ]] || fail "--no-report wrote a report"
# Errors: a folder without chi maps; a missing lesion image names the file.
mkdir empty
assert_exit 1 "$Q" report empty
assert_stderr_has "no chi maps"
assert_exit 1 "$Q" report out --lesions missing.nii.gz
assert_stderr_has "missing.nii.gz"

# The page in a real browser.
chromium_bin="${CHROMIUM:-$(command -v chromium || true)}"
web="${SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/web"
if [[ -z "$chromium_bin" || ! -d "$web/node_modules/playwright-core" ]] || ! command -v node > /dev/null; then
  echo "SKIP (browser check): needs chromium, node and web/node_modules (scripts/setup-deps --test installs them)"
  echo ok
  exit 0
fi
artefacts="${QSMTK_ARTEFACTS:-$WORK}"
mkdir -p "$artefacts"
rc=0
CHROMIUM="$chromium_bin" node "$web/check_report.mjs" "$PWD/out/sub-01_report.html" "$artefacts/report-sub-01.png" \
  > browser.json 2> browser.err || rc=$?
if [[ $rc -eq 3 ]]; then  # the environment, not the report: say so rather than fail
  echo "SKIP (browser check): $(cat browser.err)"
  echo ok
  exit 0
fi
[[ $rc -eq 0 ]] || { cat browser.err >&2; fail "the browser check failed (exit $rc)"; }
"$PY" - browser.json <<'PY' || { cat browser.json >&2; fail "report in the browser"; }
import json, sys
r = json.load(open(sys.argv[1]))
assert r["viewer"] == "ready", r["status"]
assert not r["page_errors"], r["page_errors"]
assert len(r["canvases"]) == 2 and all(c["lit_fraction"] > 0.05 for c in r["canvases"]), r["canvases"]
assert r["rows"].get("lesions") == 16 and r["rows"].get("regions") == 21, r["rows"]
assert len(r["images"]) == 6 and all(i["width"] > 300 for i in r["images"]), r["images"]
print("  browser: viewer ready, drawn fractions " + ", ".join(f"{c['lit_fraction']:.2f}" for c in r["canvases"]))
PY
echo "  screenshot: $artefacts/report-sub-01.png"
echo ok
