// The FacePass page: services and prices through our proxy, and a selfie sent for face search.
// Loaded as a file (the Content-Security-Policy allows no inline script); text from Pixora is set with
// textContent only, never parsed as HTML.
(function () {
  "use strict";

  var root = document.getElementById("facepass");
  if (!root || root.dataset.state !== "valid") {
    return;
  }
  var servicesUrl = root.dataset.servicesUrl;
  var faceSearchUrl = root.dataset.faceSearchUrl;

  function byId(id) {
    return document.getElementById(id);
  }

  function showMessage(element, text, kind) {
    element.textContent = text;
    element.className = "message" + (kind ? " " + kind : "");
  }

  function formatPrice(price, currency) {
    var amount = Number(price);
    if (!isFinite(amount)) {
      return String(price);
    }
    try {
      return new Intl.NumberFormat(navigator.language || "en", { style: "currency", currency: currency }).format(amount);
    } catch (error) {
      return amount.toFixed(2) + " " + (currency || "");
    }
  }

  // --- Services and prices -------------------------------------------------------------------
  function viewOnlyMode(reason) {
    byId("view-only-banner").hidden = false;
    document.body.classList.add("view-only");
    byId("services-status").textContent = "Services are unavailable right now (" + reason + ").";
  }

  function showServices(payload) {
    var list = byId("services");
    var services = Array.isArray(payload.services) ? payload.services : [];
    list.textContent = "";
    services.forEach(function (service) {
      var item = document.createElement("li");
      item.className = "service";
      var name = document.createElement("span");
      name.className = "service-name";
      name.textContent = String(service.name || "");
      if (service.description) {
        var description = document.createElement("span");
        description.className = "service-description";
        description.textContent = String(service.description);
        name.appendChild(description);
      }
      var price = document.createElement("span");
      price.className = "service-price";
      price.textContent = formatPrice(service.price, payload.currency);
      item.appendChild(name);
      item.appendChild(price);
      list.appendChild(item);
    });
    byId("services-status").textContent = services.length ? "" : "No services are offered for this session.";
  }

  function loadServices() {
    fetch(servicesUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (response.status !== 200) {
          throw new Error("status " + response.status);
        }
        return response.json();
      })
      .then(showServices)
      .catch(function (error) {
        viewOnlyMode(error && error.message && error.message.indexOf("status") === 0 ? error.message : "network error");
      });
  }

  // --- Camera and selfie ----------------------------------------------------------------------
  var video = byId("camera-video");
  var canvas = byId("camera-canvas");
  var preview = byId("camera-preview");
  var startButton = byId("camera-start");
  var captureButton = byId("camera-capture");
  var cameraMessage = byId("camera-message");
  var uploadMessage = byId("upload-message");
  var stream = null;

  function cameraErrorText(error) {
    var name = error && error.name;
    if (name === "NotAllowedError" || name === "SecurityError") {
      return "Camera access was refused. Allow the camera in your browser's site settings, then try again.";
    }
    if (name === "NotFoundError" || name === "OverconstrainedError") {
      return "No camera was found on this device.";
    }
    if (name === "NotReadableError") {
      return "The camera is in use by another application.";
    }
    return "The camera could not be started.";
  }

  function startCamera() {
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      showMessage(cameraMessage, "This browser can't use a camera here (a secure https page is needed).", "error");
      return;
    }
    startButton.disabled = true;
    showMessage(cameraMessage, "Starting the camera…");
    navigator.mediaDevices
      .getUserMedia({ video: { facingMode: "user" }, audio: false })
      .then(function (mediaStream) {
        stream = mediaStream;
        // Capture stays off until the first frame has a size: a capture before that would send an empty image.
        video.addEventListener(
          "loadedmetadata",
          function () {
            captureButton.disabled = false;
            showMessage(cameraMessage, "Camera ready: look at the camera and take a selfie.");
          },
          { once: true }
        );
        video.srcObject = mediaStream;
        video.hidden = false;
        preview.hidden = true;
      })
      .catch(function (error) {
        startButton.disabled = false;
        showMessage(cameraMessage, cameraErrorText(error), "error");
      });
  }

  function stopCamera() {
    if (stream) {
      stream.getTracks().forEach(function (track) {
        track.stop();
      });
      stream = null;
    }
    video.hidden = true;
  }

  function uploadSelfie(blob) {
    var form = new FormData();
    form.append("image", blob, "selfie.jpg");
    showMessage(uploadMessage, "Sending your selfie…");
    fetch(faceSearchUrl, { method: "POST", body: form, credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        return response
          .json()
          .catch(function () {
            return {};
          })
          .then(function (body) {
            if (response.status !== 202) {
              throw new Error(typeof body.detail === "string" ? body.detail : "status " + response.status);
            }
            return body;
          });
      })
      .then(function (body) {
        root.dataset.faceSearchId = body.id;
        showMessage(uploadMessage, "Selfie received. We are looking for your photos (request " + body.id + ").", "ok");
      })
      .catch(function (error) {
        showMessage(uploadMessage, "Your selfie could not be sent: " + error.message, "error");
      })
      .then(function () {
        startButton.disabled = false;
      });
  }

  function captureSelfie() {
    if (!stream || !video.videoWidth) {
      showMessage(cameraMessage, "The camera is not ready yet.", "error");
      return;
    }
    canvas.width = video.videoWidth;
    canvas.height = video.videoHeight;
    canvas.getContext("2d").drawImage(video, 0, 0, canvas.width, canvas.height);
    captureButton.disabled = true;
    canvas.toBlob(
      function (blob) {
        if (!blob) {
          showMessage(uploadMessage, "The selfie could not be captured.", "error");
          return;
        }
        preview.src = URL.createObjectURL(blob);
        preview.hidden = false;
        stopCamera();
        showMessage(cameraMessage, "");
        uploadSelfie(blob);
      },
      "image/jpeg",
      0.9
    );
  }

  startButton.addEventListener("click", startCamera);
  captureButton.addEventListener("click", captureSelfie);
  loadServices();
})();
