// The chat page: keeps the conversation in the browser (the server is stateless), sends it to
// /api/chat, and renders answers with [n] markers linked to citation cards. Data is only ever set
// through textContent, never parsed as HTML.
"use strict";

(function () {
  var STORE = "cited.chat.v1";
  var MAX_MESSAGES = 50;
  var MAX_CHARS = 20000;

  var list = document.getElementById("messages");
  var form = document.getElementById("chat-form");
  var input = document.getElementById("chat-input");
  var send = document.getElementById("chat-send");
  var errorBox = document.getElementById("chat-error");
  var reset = document.getElementById("new-conversation");

  // Each entry: {role: "user"|"assistant", content: string, reply?: the /api/chat response}.
  var entries = load();

  function load() {
    try {
      var saved = JSON.parse(window.sessionStorage.getItem(STORE) || "[]");
      return Array.isArray(saved) ? saved : [];
    } catch (e) {
      return [];
    }
  }

  function save() {
    try {
      window.sessionStorage.setItem(STORE, JSON.stringify(entries));
    } catch (e) {
      // Private browsing or a full store: the conversation still works, it just does not survive a reload.
    }
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  // The history the server may accept: the newest messages within its limits, starting with a user turn.
  function history() {
    var messages = entries.map(function (e) { return { role: e.role, content: e.content }; });
    var total = messages.reduce(function (sum, m) { return sum + m.content.length; }, 0);
    while (messages.length > MAX_MESSAGES || total > MAX_CHARS) {
      total -= messages.shift().content.length;
    }
    while (messages.length > 1 && messages[0].role !== "user") messages.shift();
    return messages;
  }

  function passageLink(c) {
    var href = "/passages/" + encodeURIComponent(c.passage_id);
    if (c.highlight) href += "?hl=" + c.highlight.start + "-" + c.highlight.end;
    return href + "#passage";
  }

  function citationCard(c, turn) {
    var card = el("article", "card");
    card.id = "t" + turn + "-c" + c.n;
    var head = el("header", "card-head");
    var badge = el("span", "badge", "[" + c.n + "]");
    badge.setAttribute("aria-label", "Citation " + c.n);
    var title = el("div", "card-title");
    title.appendChild(el("h3", null, c.title));
    title.appendChild(el("p", "source", c.source));
    head.appendChild(badge);
    head.appendChild(title);
    card.appendChild(head);
    if (c.context) card.appendChild(el("p", "context", c.context));
    var text = el("p", "passage");
    if (c.highlight) {
      text.appendChild(document.createTextNode(c.text.slice(0, c.highlight.start)));
      text.appendChild(el("mark", null, c.text.slice(c.highlight.start, c.highlight.end)));
      text.appendChild(document.createTextNode(c.text.slice(c.highlight.end)));
    } else {
      text.textContent = c.text;
    }
    card.appendChild(text);
    var foot = el("p", "card-foot");
    var link = el("a", null, "Show in the document");
    link.href = passageLink(c);
    foot.appendChild(link);
    card.appendChild(foot);
    return card;
  }

  function openTarget(event) {
    var target = document.getElementById(event.currentTarget.getAttribute("href").slice(1));
    var details = target && target.closest("details");
    if (details) details.open = true;
  }

  function answerParagraph(reply, turn) {
    var p = el("p");
    var pattern = /\[(\d+)\]/g;
    var at = 0;
    var match;
    while ((match = pattern.exec(reply.answer)) !== null) {
      p.appendChild(document.createTextNode(reply.answer.slice(at, match.index)));
      var marker = el("a", "marker", match[0]);
      marker.href = "#t" + turn + "-c" + match[1];
      marker.setAttribute("aria-label", "citation " + match[1]);
      marker.addEventListener("click", openTarget);
      p.appendChild(marker);
      at = match.index + match[0].length;
    }
    p.appendChild(document.createTextNode(reply.answer.slice(at)));
    return p;
  }

  // Citation numbers that the answer quotes; for an abstention, the two closest passages.
  function cited(reply) {
    var numbers = {};
    if (reply.abstained) {
      (reply.citations || []).slice(0, 2).forEach(function (c) { numbers[c.n] = true; });
      return numbers;
    }
    var pattern = /\[(\d+)\]/g;
    var match;
    while ((match = pattern.exec(reply.answer)) !== null) numbers[Number(match[1])] = true;
    return numbers;
  }

  function cardList(citations, turn) {
    var list = el("ol", "citations");
    citations.forEach(function (c) {
      var li = el("li");
      li.appendChild(citationCard(c, turn));
      list.appendChild(li);
    });
    return list;
  }

  function renderEntry(entry, index) {
    var item = el("li", "msg msg-" + entry.role);
    item.appendChild(el("div", "who", entry.role === "user" ? "You" : "cited"));
    var bubble = el("div", "bubble");
    if (entry.role === "user" || !entry.reply) {
      bubble.appendChild(el("p", null, entry.content));
    } else {
      var reply = entry.reply;
      if (reply.abstained) item.className += " abstained";
      bubble.appendChild(answerParagraph(reply, index));
      if (reply.rewritten_query && reply.rewritten_query !== reply.question) {
        bubble.appendChild(el("p", "rewritten", "Searched for: " + reply.rewritten_query));
      }
      var citations = reply.citations || [];
      if (citations.length) {
        // The passages the answer quotes are shown; the others wait behind a disclosure.
        var quoted = cited(reply);
        var shown = citations.filter(function (c) { return quoted[c.n]; });
        var rest = citations.filter(function (c) { return !quoted[c.n]; });
        bubble.appendChild(el("p", "rewritten", reply.abstained ? "Closest passages (they do not answer it):" : "Cited passages:"));
        bubble.appendChild(cardList(shown, index));
        if (rest.length) {
          var more = el("details", "more");
          more.appendChild(el("summary", null, rest.length + (rest.length === 1 ? " more passage" : " more passages")));
          more.appendChild(cardList(rest, index));
          bubble.appendChild(more);
        }
      }
    }
    item.appendChild(bubble);
    return item;
  }

  function render() {
    list.replaceChildren();
    entries.forEach(function (entry, i) { list.appendChild(renderEntry(entry, i)); });
  }

  function showError(message) {
    errorBox.textContent = message;
    errorBox.hidden = !message;
  }

  function busy(on) {
    send.disabled = on;
    send.textContent = on ? "Searching…" : "Send";
  }

  function ask(question) {
    entries.push({ role: "user", content: question });
    render();
    var pending = el("li", "msg msg-assistant thinking", "Searching the documents…");
    list.appendChild(pending);
    busy(true);
    showError("");
    fetch("/api/chat", {
      method: "POST",
      headers: { "Content-Type": "application/json", "Accept": "application/json" },
      body: JSON.stringify({ messages: history(), k: 5 }),
    })
      .then(function (response) {
        return response.json().catch(function () { return {}; }).then(function (body) {
          if (!response.ok) throw new Error(body.detail || "The server answered " + response.status + ".");
          return body;
        });
      })
      .then(function (reply) {
        entries.push({ role: "assistant", content: reply.answer, reply: reply });
        save();
        render();
        var last = list.lastElementChild;
        if (last) last.scrollIntoView({ block: "nearest" });
      })
      .catch(function (err) {
        entries.pop();  // the question was not answered: keep the history consistent, give the text back
        render();
        input.value = question;
        showError(err.message || "The question could not be sent.");
      })
      .then(function () {
        busy(false);
        input.focus();
      });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var question = input.value.trim();
    if (!question || send.disabled) return;
    input.value = "";
    ask(question);
  });

  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit();
    }
  });

  reset.addEventListener("click", function () {
    entries = [];
    save();
    render();
    showError("");
    input.value = "";
    input.focus();
  });

  render();
})();
