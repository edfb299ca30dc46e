// The projector's screen controls: full screen (the F key or the button) and a dark high-contrast theme
// that follows the system's `prefers-color-scheme` until the toggle picks one (remembered per browser).
import { t, onLanguage } from './i18n.js';

const THEME_KEY = 'roundtable-present-theme';

function setupTheme(button) {
  const system = window.matchMedia('(prefers-color-scheme: dark)');
  const apply = () => {
    const chosen = localStorage.getItem(THEME_KEY);
    const dark = chosen ? chosen === 'dark' : system.matches;
    document.body.dataset.theme = dark ? 'dark' : 'light';
    button.setAttribute('aria-pressed', dark ? 'true' : 'false');
  };
  system.addEventListener('change', apply);
  button.addEventListener('click', () => {
    localStorage.setItem(THEME_KEY, document.body.dataset.theme === 'dark' ? 'light' : 'dark');
    apply();
  });
  apply();
}

function toggleFullScreen() {
  if (document.fullscreenElement) document.exitFullscreen();
  else document.documentElement.requestFullscreen().catch(() => {});
}

function setupFullScreen(button) {
  if (!document.fullscreenEnabled) {
    button.hidden = true;
    return;
  }
  const label = () => { button.textContent = t(document.fullscreenElement ? 'present.leave_full_screen' : 'present.full_screen'); };
  button.addEventListener('click', toggleFullScreen);
  document.addEventListener('fullscreenchange', label);
  document.addEventListener('keydown', (e) => {
    if (e.key.toLowerCase() !== 'f' || e.ctrlKey || e.metaKey || e.altKey || e.repeat) return;
    e.preventDefault();
    toggleFullScreen();
  });
  label();
  onLanguage(label);
}

/** Wires the footer's full-screen and theme buttons (labels from the tables, redrawn when the language changes). */
export function setupScreen() {
  const theme = document.getElementById('theme');
  const label = () => { theme.textContent = t('present.dark_theme'); };
  label();
  onLanguage(label);
  setupTheme(theme);
  setupFullScreen(document.getElementById('fullscreen'));
}
