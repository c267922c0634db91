// Small browser helpers the components call through IJSRuntime.
window.somaagent = {
  copy: text => navigator.clipboard.writeText(text),
  scrollToEnd: element => { if (element) { element.scrollTop = element.scrollHeight; } },
};
