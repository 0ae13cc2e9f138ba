// Live receipts: listens to the server's event stream and, when asked, announces each payment
// aloud in Vietnamese with the browser's own speech synthesis (nothing is fetched elsewhere).
(function () {
  var list = document.getElementById('receipts');
  var total = document.getElementById('today-total');
  var count = document.getElementById('today-count');
  var speak = document.getElementById('speak');
  var sum = 0, n = 0;
  function dong(v) { return Number(v).toLocaleString('vi-VN'); }
  var methods = { transfer: 'Chuyển khoản', card: 'Thẻ', ewallet: 'Ví điện tử', cash: 'Tiền mặt' };
  function announce(amount) {
    if (!speak || !speak.checked || !window.speechSynthesis) return;
    var u = new SpeechSynthesisUtterance('Đã nhận ' + dong(amount) + ' đồng');
    u.lang = 'vi-VN';
    window.speechSynthesis.speak(u);
  }
  var base = total ? Number(total.textContent.replace(/[^0-9]/g, '')) : 0;
  var baseCount = count ? Number(count.textContent) : 0;
  var source = new EventSource('/api/v1/receipts/stream');
  source.addEventListener('receipt', function (e) {
    var r = JSON.parse(e.data);
    sum += r.amount; n += 1;
    if (total) total.textContent = dong(base + sum) + ' đ';
    if (count) count.textContent = String(baseCount + n);
    var li = document.createElement('li');
    var strong = document.createElement('strong');
    strong.textContent = dong(r.amount) + ' đ';
    li.appendChild(strong);
    li.appendChild(document.createTextNode(' · ' + (methods[r.method] || r.method) + ' · ' + new Date(r.occurred_at / 1000).toLocaleTimeString('vi-VN', { timeZone: 'Asia/Ho_Chi_Minh' }) + ' · ' + r.description));
    li.className = 'new';
    list.insertBefore(li, list.firstChild);
    announce(r.amount);
  });
})();
