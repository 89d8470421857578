// The FacePass page: services and prices through our proxy; with the customer's consent, a selfie (camera or
// file) sent for face search, its progress followed, and the photos found shown.
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

  // --- Consent, camera and selfie -------------------------------------------------------------
  var video = byId("camera-video");
  var canvas = byId("camera-canvas");
  var preview = byId("camera-preview");
  var consentBox = byId("consent-checkbox");
  var startButton = byId("camera-start");
  var captureButton = byId("camera-capture");
  var fileInput = byId("selfie-file");
  var cameraMessage = byId("camera-message");
  var uploadMessage = byId("upload-message");
  var stream = null;
  var cameraStarting = false;
  var sending = false;

  // The camera and the file picker stay off until the customer has agreed, and while a selfie is being sent.
  function updateControls() {
    var allowed = consentBox.checked && !sending;
    startButton.disabled = !allowed || cameraStarting || stream !== null;
    fileInput.disabled = !allowed;
    if (!allowed || !stream) {
      captureButton.disabled = true;
    }
  }

  function cameraErrorText(error) {
    var name = error && error.name;
    var instead = " You can choose a photo of yourself instead, below.";
    if (name === "NotAllowedError" || name === "SecurityError") {
      return "Camera access was refused." + instead + " Or allow the camera in your browser's site settings, then try again.";
    }
    if (name === "NotFoundError" || name === "OverconstrainedError") {
      return "No camera was found on this device." + instead;
    }
    if (name === "NotReadableError") {
      return "The camera is in use by another application." + instead;
    }
    return "The camera could not be started." + instead;
  }

  function startCamera() {
    if (!consentBox.checked) {
      return;
    }
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      showMessage(
        cameraMessage,
        "This browser can't use a camera here (a secure https page is needed). You can choose a photo of yourself instead, below.",
        "error"
      );
      return;
    }
    cameraStarting = true;
    updateControls();
    showMessage(cameraMessage, "Starting the camera…");
    navigator.mediaDevices
      .getUserMedia({ video: { facingMode: "user" }, audio: false })
      .then(function (mediaStream) {
        cameraStarting = false;
        if (!consentBox.checked) {
          // Consent was withdrawn while the browser asked for the camera.
          mediaStream.getTracks().forEach(function (track) {
            track.stop();
          });
          showMessage(cameraMessage, "");
          updateControls();
          return;
        }
        stream = mediaStream;
        // Capture stays off until the first frame has a size: a capture before that would send an empty image.
        video.addEventListener(
          "loadedmetadata",
          function () {
            if (stream === mediaStream) {
              captureButton.disabled = false;
              showMessage(cameraMessage, "Camera ready: look at the camera and take a selfie.");
            }
          },
          { once: true }
        );
        video.srcObject = mediaStream;
        video.hidden = false;
        preview.hidden = true;
        updateControls();
      })
      .catch(function (error) {
        cameraStarting = false;
        showMessage(cameraMessage, cameraErrorText(error), "error");
        updateControls();
      });
  }

  function stopCamera() {
    if (stream) {
      stream.getTracks().forEach(function (track) {
        track.stop();
      });
      stream = null;
    }
    video.srcObject = null;
    video.hidden = true;
  }

  function consentChanged() {
    if (!consentBox.checked) {
      stopCamera();
      showMessage(cameraMessage, "");
    }
    updateControls();
  }

  function showPreview(blob) {
    if (preview.src) {
      URL.revokeObjectURL(preview.src);
    }
    preview.src = URL.createObjectURL(blob);
    preview.hidden = false;
  }

  function responseBody(response) {
    return response.json().catch(function () {
      return {};
    });
  }

  function uploadSelfie(blob, filename) {
    var form = new FormData();
    form.append("image", blob, filename);
    // The server refuses a selfie without it; the box was ticked for this upload to be possible at all.
    form.append("consent", "true");
    sending = true;
    updateControls();
    search.reset();
    showMessage(uploadMessage, "Sending your selfie…");
    fetch(faceSearchUrl, { method: "POST", body: form, credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        return responseBody(response).then(function (body) {
          if (response.status !== 202) {
            throw new Error(typeof body.detail === "string" ? body.detail : "status " + response.status);
          }
          return body;
        });
      })
      .then(function (body) {
        root.dataset.faceSearchId = body.id;
        showMessage(uploadMessage, "Selfie received.", "ok");
        search.follow(body.id);
      })
      .catch(function (error) {
        showMessage(uploadMessage, "Your selfie could not be sent: " + error.message, "error");
      })
      .then(function () {
        sending = false;
        updateControls();
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
          updateControls();
          return;
        }
        showPreview(blob);
        stopCamera();
        showMessage(cameraMessage, "");
        uploadSelfie(blob, "selfie.jpg");
      },
      "image/jpeg",
      0.9
    );
  }

  function fileChosen() {
    var file = fileInput.files && fileInput.files[0];
    if (!file || !consentBox.checked) {
      return;
    }
    stopCamera();
    showMessage(cameraMessage, "");
    showPreview(file);
    uploadSelfie(file, file.name || "selfie");
    // The same file can be chosen again for another try.
    fileInput.value = "";
  }

  // --- Following the search -------------------------------------------------------------------
  // Polled with a growing delay: quick answers for a session already indexed, few requests while a large one is.
  var POLL_FIRST_MS = 500;
  var POLL_FACTOR = 1.5;
  var POLL_MAX_MS = 3000;
  var POLL_GIVE_UP_MS = 10 * 60 * 1000;

  function isWebUrl(value) {
    if (typeof value !== "string" || !value) {
      return false;
    }
    try {
      var protocol = new URL(value, document.baseURI).protocol;
      return protocol === "https:" || protocol === "http:";
    } catch (error) {
      return false;
    }
  }

  var search = (function () {
    var results = byId("results");
    var status = byId("search-status");
    var progress = byId("search-progress");
    var errorText = byId("search-error");
    var matches = byId("matches");
    var retryButton = byId("search-retry");
    // Each new selfie starts a new generation: answers for an older one are ignored.
    var generation = 0;
    var timer = null;

    function reset() {
      generation += 1;
      if (timer !== null) {
        clearTimeout(timer);
        timer = null;
      }
      results.hidden = true;
      results.dataset.status = "";
      showMessage(status, "");
      progress.hidden = true;
      errorText.hidden = true;
      errorText.textContent = "";
      matches.textContent = "";
      retryButton.hidden = true;
    }

    function showProgress(answer) {
      var counts = answer.progress;
      if (answer.status === "indexing" && counts && Number(counts.total) > 0) {
        var done = Math.min(Number(counts.done) || 0, Number(counts.total));
        showMessage(status, "Preparing the session's photos: " + done + " of " + Number(counts.total));
        progress.max = Number(counts.total);
        progress.value = done;
        progress.hidden = false;
        return;
      }
      progress.hidden = true;
      if (answer.status === "indexing") {
        showMessage(status, "Preparing the session's photos…");
      } else if (answer.status === "searching") {
        showMessage(status, "Looking for you…");
      } else {
        showMessage(status, "Your search is waiting its turn…");
      }
    }

    function thumbnail(match, index, total) {
      var item = document.createElement("li");
      var link = document.createElement("a");
      link.href = match.url;
      link.target = "_blank";
      link.rel = "noopener";
      var image = document.createElement("img");
      var fullImage = match.url;
      image.alt = "Photo " + (index + 1) + " of " + total + " with you in it (opens the full photo)";
      image.decoding = "async";
      // Without a thumbnail, or when it fails to load, the full photo is shown scaled down.
      image.addEventListener("error", function fallBack() {
        if (image.getAttribute("src") !== fullImage) {
          image.src = fullImage;
        } else {
          image.removeEventListener("error", fallBack);
          item.classList.add("broken");
        }
      });
      image.src = isWebUrl(match.thumbnail_url) ? match.thumbnail_url : fullImage;
      link.appendChild(image);
      item.appendChild(link);
      return item;
    }

    function showMatches(answer) {
      var found = (Array.isArray(answer.matches) ? answer.matches : []).filter(function (match) {
        return match && isWebUrl(match.url);
      });
      progress.hidden = true;
      matches.textContent = "";
      if (!found.length) {
        showMessage(status, "No photos of you were found in this session.");
      } else {
        showMessage(
          status,
          (found.length === 1 ? "1 photo of you was found" : found.length + " photos of you were found") +
            ", closest first. Open one to see it in full.",
          "ok"
        );
        found.forEach(function (match, index) {
          matches.appendChild(thumbnail(match, index, found.length));
        });
      }
      retryButton.textContent = "Search again with a new selfie";
      retryButton.hidden = false;
    }

    function showFailure(text) {
      progress.hidden = true;
      showMessage(status, "");
      status.hidden = true;
      errorText.textContent = text;
      errorText.hidden = false;
      retryButton.textContent = "Try again with a new selfie";
      retryButton.hidden = false;
    }

    function show(answer) {
      results.dataset.status = String(answer.status || "");
      status.hidden = false;
      if (answer.status === "done") {
        showMatches(answer);
      } else if (answer.status === "failed") {
        showFailure(typeof answer.error === "string" && answer.error ? answer.error : "The search failed. Try again.");
      } else {
        showProgress(answer);
      }
    }

    function follow(id) {
      reset();
      var mine = generation;
      var statusUrl = faceSearchUrl + "/" + encodeURIComponent(id);
      var giveUpAt = Date.now() + POLL_GIVE_UP_MS;
      var delay = POLL_FIRST_MS;
      results.hidden = false;
      show({ status: "queued" });

      function later() {
        if (Date.now() + delay > giveUpAt) {
          results.dataset.status = "gave-up";
          showFailure("This is taking too long. Try again in a few minutes with a new selfie.");
          return;
        }
        timer = setTimeout(poll, delay);
        delay = Math.min(delay * POLL_FACTOR, POLL_MAX_MS);
      }

      function poll() {
        timer = null;
        fetch(statusUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
          .then(function (response) {
            return responseBody(response).then(function (body) {
              return { status: response.status, body: body };
            });
          })
          .then(function (reply) {
            if (mine !== generation) {
              return;
            }
            if (reply.status === 200) {
              show(reply.body);
              if (reply.body.status !== "done" && reply.body.status !== "failed") {
                later();
              }
            } else if (reply.status === 404) {
              results.dataset.status = "gone";
              showFailure("This search is no longer available. Try again with a new selfie.");
            } else {
              // Throttled or briefly unavailable: keep asking, more slowly.
              later();
            }
          })
          .catch(function () {
            if (mine === generation) {
              later();
            }
          });
      }

      later();
    }

    function retry() {
      reset();
      preview.hidden = true;
      showMessage(uploadMessage, "");
      updateControls();
      (startButton.disabled ? consentBox : startButton).focus();
    }

    retryButton.addEventListener("click", retry);
    return { reset: reset, follow: follow };
  })();

  consentBox.addEventListener("change", consentChanged);
  startButton.addEventListener("click", startCamera);
  captureButton.addEventListener("click", captureSelfie);
  fileInput.addEventListener("change", fileChosen);
  updateControls();
  loadServices();
})();
