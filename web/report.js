// qsmtk QC report: two NiiVue viewers (chi with lesion outlines on the left, a chosen map on the
// right) over the volumes embedded in the page, crosshairs synced. Inlined into every report by
// qsmtk (src/report/); NiiVue itself (niivue.umd.js, global `niivue`) is inlined before it.
// The page marks itself for tests: body[data-viewer="ready"] once drawn, "error" on failure.
(function () {
  "use strict";
  const spec = JSON.parse(document.getElementById("qsmtk-volumes").textContent);

  async function loadImage(v) {
    const image = await niivue.NVImage.loadFromBase64({
      base64: spec.volumes[v.volume], name: v.volume + ".nii.gz", colormap: v.colormap || "gray",
      cal_min: v.cal_min, cal_max: v.cal_max, opacity: v.opacity === undefined ? 1 : v.opacity,
      colormapNegative: v.colormap_negative || "",
    });
    if (v.labels) image.setColormapLabel(v.labels);
    return image;
  }

  async function makeViewer(canvasId, layers) {
    const nv = new niivue.Niivue({
      isColorbar: true, backColor: [0, 0, 0, 1], crosshairColor: [1, 0.85, 0, 1], show3Dcrosshair: true,
      textHeight: 0.04, isRadiologicalConvention: false, multiplanarLayout: 2,  // 2: a 2 x 2 grid
    });
    await nv.attachTo(canvasId);
    await showLayers(nv, layers);
    nv.setSliceType(nv.sliceTypeMultiplanar);
    return nv;
  }

  async function showLayers(nv, layers) {
    while (nv.volumes.length) nv.removeVolume(nv.volumes[nv.volumes.length - 1]);
    for (const v of layers) nv.addVolume(await loadImage(v));
    // Only the first layer gets a colour bar; outlines and masks are drawn without one.
    nv.volumes.forEach((image, i) => { image.colorbarVisible = i === 0; });
    nv.updateGLVolume();
  }

  async function main() {
    const left = await makeViewer("viewer-left", spec.left);
    const right = await makeViewer("viewer-right", spec.right[0].layers);
    left.broadcastTo([right], { "2d": true, "3d": true });
    right.broadcastTo([left], { "2d": true, "3d": true });
    const where = document.getElementById("viewer-location");
    left.onLocationChange = (d) => { where.textContent = d.string; };
    const select = document.getElementById("viewer-select");
    spec.right.forEach((choice, i) => select.add(new Option(choice.title, String(i))));
    select.onchange = async () => {
      await showLayers(right, spec.right[Number(select.value)].layers);
      right.scene.crosshairPos = left.scene.crosshairPos;
      right.drawScene();
    };
    window.qsmtkViewers = [left, right];  // for tests and the console
    document.body.dataset.viewer = "ready";
    document.getElementById("viewer-status").textContent = "";
  }

  main().catch((e) => {
    document.body.dataset.viewer = "error";
    document.getElementById("viewer-status").textContent = "The viewer could not start (" + e + "); the figures below do not need it.";
  });
})();
