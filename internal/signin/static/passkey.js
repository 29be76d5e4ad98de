// Signet's passkey ceremonies: the one script of the pages. The login page
// offers "Sign in with a passkey" and autofill (conditional mediation);
// the account page adds passkeys. Everything else works without it: the
// passkey parts stay hidden when this script does not run or the browser
// has no WebAuthn.
(function () {
  "use strict";

  function decode(s) {
    s = s.replace(/-/g, "+").replace(/_/g, "/");
    while (s.length % 4) s += "=";
    var bin = atob(s), out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out.buffer;
  }
  function encode(buf) {
    var bytes = new Uint8Array(buf), bin = "";
    for (var i = 0; i < bytes.length; i++) bin += String.fromCharCode(bytes[i]);
    return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }
  function descriptors(list) {
    return (list || []).map(function (c) { return Object.assign({}, c, { id: decode(c.id) }); });
  }
  function creationOptions(o) {
    if (window.PublicKeyCredential.parseCreationOptionsFromJSON) {
      return PublicKeyCredential.parseCreationOptionsFromJSON(o);
    }
    return Object.assign({}, o, {
      challenge: decode(o.challenge),
      user: Object.assign({}, o.user, { id: decode(o.user.id) }),
      excludeCredentials: descriptors(o.excludeCredentials)
    });
  }
  function requestOptions(o) {
    if (window.PublicKeyCredential.parseRequestOptionsFromJSON) {
      return PublicKeyCredential.parseRequestOptionsFromJSON(o);
    }
    return Object.assign({}, o, { challenge: decode(o.challenge), allowCredentials: descriptors(o.allowCredentials) });
  }
  function credentialJSON(c) {
    try {
      if (typeof c.toJSON === "function") return JSON.stringify(c.toJSON());
    } catch (e) { /* fall back below */ }
    var r = c.response, response = { clientDataJSON: encode(r.clientDataJSON) };
    if (r.attestationObject) {
      response.attestationObject = encode(r.attestationObject);
      response.transports = typeof r.getTransports === "function" ? r.getTransports() : [];
    } else {
      response.authenticatorData = encode(r.authenticatorData);
      response.signature = encode(r.signature);
      if (r.userHandle) response.userHandle = encode(r.userHandle);
    }
    return JSON.stringify({
      id: c.id, rawId: encode(c.rawId), type: c.type,
      authenticatorAttachment: c.authenticatorAttachment || undefined,
      response: response,
      clientExtensionResults: c.getClientExtensionResults ? c.getClientExtensionResults() : {}
    });
  }
  // post sends fields as a form to url and returns the JSON answer; an
  // answer with "error" (or none) throws with its message: "error" itself,
  // or "message" beside an error code. "reauthentication_required" (the
  // sign-in is too old to add a passkey) carries signIn, the login page
  // that comes back to the account page.
  function post(url, fields) {
    return fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams(fields)
    }).then(function (res) {
      return res.json().catch(function () { return {}; }).then(function (body) {
        if (!res.ok || body.error) {
          var e = new Error(body.message || body.error || "The server could not be reached. Try again.");
          if (body.error === "reauthentication_required" && /^\/account\/login\?/.test(body.signIn || "")) e.signIn = body.signIn;
          throw e;
        }
        return body;
      });
    });
  }
  // show puts text in el (hiding it when there is none), and a link
  // "Sign in again" to signIn when given.
  function show(el, text, signIn) {
    el.textContent = text;
    if (text && signIn) {
      var a = document.createElement("a");
      a.href = signIn;
      a.textContent = "Sign in again";
      a.className = "reauth-link";
      el.appendChild(document.createTextNode(" "));
      el.appendChild(a);
    }
    el.hidden = !text;
  }
  // problem is what a failed ceremony says to the person.
  function problem(e) {
    if (e && e.name === "NotAllowedError") return "The passkey request was cancelled or timed out. Try again when you are ready.";
    if (e && e.name === "InvalidStateError") return "This authenticator already holds a passkey for your account.";
    if (e && e.name === "SecurityError") return "This browser refused passkeys for this site's address.";
    if (e && e.name === "AbortError") return "";
    return (e && e.message) || "The passkey could not be used. Try again.";
  }
  function supported() {
    return !!(window.PublicKeyCredential && navigator.credentials && window.fetch);
  }

  // login runs on the login page: its sign-in form carries the pending
  // request's id and the form token, and is sent, with the passkey's
  // answer instead of the password, to the passkey's finish.
  function login(box) {
    var form = document.querySelector('form[action="/account/login"]');
    var button = document.getElementById("passkey-login-button");
    var status = document.getElementById("passkey-login-status");
    if (!form) return;
    var controller = null;
    var fields = function () {
      var f = { id: form.elements.namedItem("id").value, token: form.elements.namedItem("token").value };
      var ret = form.elements.namedItem("returnUrl");
      if (ret) f.returnUrl = ret.value;
      return f;
    };
    function submit(cred) {
      var input = document.createElement("input");
      input.type = "hidden";
      input.name = "credential";
      input.value = credentialJSON(cred);
      form.appendChild(input);
      // The password is not the passkey's business.
      var pw = form.elements.namedItem("password");
      if (pw) pw.disabled = true;
      form.action = box.dataset.finish;
      form.submit();
    }
    // run asks for a passkey: mediation "conditional" for autofill, or
    // "" for the modal prompt of the button. A new run aborts the last.
    function run(mediation) {
      if (controller) controller.abort();
      var mine = controller = new AbortController();
      return post(box.dataset.options, fields()).then(function (o) {
        var options = { publicKey: requestOptions(o.publicKey), signal: mine.signal };
        if (mediation) options.mediation = mediation;
        return navigator.credentials.get(options);
      }).then(function (cred) {
        if (mine !== controller || !cred) return;
        show(status, "");
        submit(cred);
      }).catch(function (e) {
        if (mine !== controller) return; // replaced by a newer request
        if (mediation && (!e || e.name !== "NotAllowedError")) return; // autofill is best effort
        show(status, problem(e));
      });
    }
    box.hidden = false;
    button.addEventListener("click", function () {
      show(status, "");
      run("");
    });
    if (PublicKeyCredential.isConditionalMediationAvailable) {
      PublicKeyCredential.isConditionalMediationAvailable().then(function (ok) {
        if (ok) run("conditional");
      }).catch(function () {});
    }
  }

  function register(form) {
    var status = document.getElementById("passkey-register-status");
    var button = form.querySelector("button[type=submit]");
    form.hidden = false;
    var note = document.getElementById("passkey-unsupported");
    if (note) note.hidden = true;
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      show(status, "");
      button.disabled = true;
      var token = form.elements.namedItem("token").value;
      post(form.action, { token: token, name: form.elements.namedItem("name").value }).then(function (o) {
        return navigator.credentials.create({ publicKey: creationOptions(o.publicKey) });
      }).then(function (cred) {
        return post(form.dataset.finish, { token: token, credential: credentialJSON(cred) });
      }).then(function (done) {
        window.location.assign(done.next);
      }).catch(function (e) {
        button.disabled = false;
        show(status, problem(e), e && e.signIn);
      });
    });
  }

  function start() {
    if (!supported()) return;
    var box = document.getElementById("passkey-login");
    if (box) login(box);
    var reg = document.getElementById("passkey-register");
    if (reg) register(reg);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
