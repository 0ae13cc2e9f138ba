// Cashier page and set-up forms. Writes go to the JSON API with the page's CSRF token.
(function () {
  "use strict";
  var csrfMeta = document.querySelector('meta[name="csrf"]');
  var csrf = csrfMeta ? csrfMeta.content : "";
  var status = document.getElementById("status");
  function say(text, bad) {
    if (!status) return;
    status.textContent = text;
    status.className = bad ? "error" : "ok";
  }
  function api(method, url, body) {
    var opts = { method: method, headers: { "x-csrf-token": csrf }, credentials: "same-origin" };
    if (body !== undefined) {
      opts.headers["content-type"] = "application/json";
      opts.body = JSON.stringify(body);
    }
    return fetch(url, opts).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (j) { return { status: r.status, body: j }; });
    });
  }
  function errorText(j) {
    var msg = j.message_vi || "Không thực hiện được";
    var d = j.details;
    if (d && d.length) {
      msg += ": " + d.map(function (e) { return e.field + " — " + (e.message_vi || e.code); }).join("; ");
    }
    return msg;
  }
  function dong(n) {
    return String(Math.round(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ".");
  }

  // Set-up forms: fields to JSON (typed by data-type), POST, reload on success.
  document.querySelectorAll("form.api").forEach(function (form) {
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var body = {};
      form.querySelectorAll("input, select").forEach(function (el) {
        if (!el.name) return;
        var t = el.dataset.type;
        if (t === "bool") { body[el.name] = el.checked; return; }
        if (el.value === "") return;
        body[el.name] = t === "number" ? Number(el.value) : el.value;
      });
      api("POST", form.dataset.api, body).then(function (r) {
        if (r.status < 300) { location.reload(); } else { say(errorText(r.body), true); }
      });
    });
  });

  var root = document.querySelector(".cashier");
  if (!root) return;
  var register = root.dataset.register;
  var cart = []; // {id, name, price, unit, qty}
  var busy = false;
  // One key per cart: a payment retried after a lost answer is the same sale on the server.
  var saleKey = null;
  var tbody = document.querySelector("#cart tbody");
  var find = document.getElementById("find");
  var buttons = Array.prototype.slice.call(document.querySelectorAll("button.product"));

  function render() {
    saleKey = null;
    tbody.innerHTML = "";
    var sum = 0;
    cart.forEach(function (l, i) {
      sum += l.qty * l.price;
      var tr = document.createElement("tr");
      var name = document.createElement("td");
      name.textContent = l.name;
      var qty = document.createElement("td");
      var input = document.createElement("input");
      input.type = "text";
      input.inputMode = "decimal";
      input.value = String(l.qty).replace(".", ",");
      input.size = 5;
      input.setAttribute("aria-label", "Số lượng " + l.name);
      input.addEventListener("change", function () {
        var v = parseFloat(input.value.replace(",", "."));
        if (v > 0) { l.qty = Math.round(v * 1000) / 1000; } else { cart.splice(i, 1); }
        render();
      });
      qty.appendChild(input);
      qty.appendChild(document.createTextNode(" " + l.unit));
      var amount = document.createElement("td");
      amount.className = "num";
      amount.textContent = dong(l.qty * l.price);
      var del = document.createElement("td");
      var x = document.createElement("button");
      x.type = "button";
      x.textContent = "✕";
      x.setAttribute("aria-label", "Bỏ " + l.name);
      x.addEventListener("click", function () { cart.splice(i, 1); render(); });
      del.appendChild(x);
      tr.appendChild(name); tr.appendChild(qty); tr.appendChild(amount); tr.appendChild(del);
      tbody.appendChild(tr);
    });
    document.getElementById("subtotal").textContent = dong(sum);
  }
  function add(b) {
    var id = Number(b.dataset.id);
    var l = cart.find(function (c) { return c.id === id; });
    if (l) { l.qty += 1; } else {
      cart.push({ id: id, name: b.dataset.name, price: Number(b.dataset.price), unit: b.dataset.unit, qty: 1 });
    }
    render();
  }
  buttons.forEach(function (b) { b.addEventListener("click", function () { add(b); }); });

  // Typing filters the products (diacritics ignored); Enter adds the first one shown.
  function fold(s) {
    return s.normalize("NFD").replace(/[\u0300-\u036f]/g, "").replace(/đ/g, "d").replace(/Đ/g, "d").toLowerCase();
  }
  find.addEventListener("input", function () {
    var q = fold(find.value.trim());
    buttons.forEach(function (b) { b.hidden = q !== "" && b.dataset.key.indexOf(q) < 0; });
  });
  find.addEventListener("keydown", function (ev) {
    if (ev.key !== "Enter") return;
    ev.preventDefault();
    var first = buttons.find(function (b) { return !b.hidden; });
    if (first) { add(first); find.value = ""; find.dispatchEvent(new Event("input")); }
  });

  function buyer() {
    var d = document.getElementById("buyer");
    if (!d.open) return undefined;
    var b = {};
    var any = false;
    d.querySelectorAll("input").forEach(function (el) {
      if (el.value.trim()) { b[el.name] = el.value.trim(); any = true; }
    });
    return any ? b : undefined;
  }
  function key() {
    return "web-" + Date.now().toString(36) + "-" + Math.random().toString(36).slice(2, 10);
  }
  function done(sale) {
    location.href = "/invoices/" + sale.invoice.id + "/receipt";
  }
  function waitForPayment(saleId) {
    setTimeout(function () {
      api("GET", "/api/v1/sales/" + saleId).then(function (r) {
        if (r.status === 200 && r.body.invoice) { done(r.body); } else { waitForPayment(saleId); }
      });
    }, 1500);
  }
  function pay(method) {
    if (busy) return;
    if (!cart.length) { say("Giỏ hàng trống", true); return; }
    busy = true;
    say("Đang xử lý…");
    var sale = {
      client_key: saleKey || (saleKey = key()),
      method: method,
      lines: cart.map(function (l) { return { product_id: l.id, quantity: String(l.qty) }; }),
      buyer: buyer()
    };
    api("POST", "/api/v1/registers/" + register + "/sales", sale).then(function (r) {
      if (r.status >= 300) { busy = false; say(errorText(r.body), true); return; }
      if (r.body.invoice) { done(r.body); return; }
      var pr = r.body.payment_request;
      say("Khách quét mã để chuyển " + dong(pr.amount) + " đồng — hóa đơn xuất khi tiền về");
      fetch("/api/v1/payment-requests/" + pr.id + "/qr.svg", { credentials: "same-origin" })
        .then(function (x) { return x.text(); })
        .then(function (svg) { document.getElementById("qr").innerHTML = svg; });
      waitForPayment(r.body.sale.id);
    }, function () { busy = false; say("Mất kết nối, thử lại", true); });
  }
  document.querySelectorAll("button.pay").forEach(function (b) {
    b.addEventListener("click", function () { pay(b.dataset.method); });
  });
  var keys = { F1: "cash", F2: "qr", F3: "card", F4: "ewallet" };
  document.addEventListener("keydown", function (ev) {
    if (keys[ev.key]) { ev.preventDefault(); pay(keys[ev.key]); }
  });
  find.focus();
})();
