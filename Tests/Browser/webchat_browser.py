"""The web-chat widget in a real browser: headless Chromium driven by Selenium.

The Swift integration test starts the whole stack and a web-chat channel, then runs this script
and speaks to it one line at a time (this script prints, the test reads; the test writes, this
script reads):

    1. opens the demo page, opens the chat, sends "Hello from a real browser", waits until the
       widget shows it as sent                               -> SENT <visitor id>
   1b. <- TYPING?  (the test calls SetTyping) the widget shows "… is typing" -> TYPING_SHOWN <text>
    2. <- REPLYING <text>  (the test is about to call SendReply with that text; it is hostile
       HTML) waits until the widget shows an agent message whose text is exactly that
                                                             -> SEEN_REPLY <ms since REPLYING>
       and that the text was not parsed as HTML             -> XSS_OK
    3. a screenshot of the open widget                       -> SCREENSHOT <path>
    4. a second tab (same profile, so the same localStorage) shows both messages -> TAB2_OK
    5. tab 1 reloaded resumes the conversation (same visitor, both messages)     -> RELOAD_OK
    6. a phone-sized window: the open panel fills it, screenshot -> SCREENSHOT <path>
       <- DELIVERY?   -> STATES <data-state of the agent's reply>   -> DONE
Any failure prints FAIL <reason> (with the browser's console log) and exits 1. No step waits
more than 15 s.

Environment: CHAT_DEMO_URL (the demo page), SCREENSHOT_DIR (where the PNGs go).
Needs Debian's chromium and chromium-driver and `pip install selenium`.
"""

import os
import select
import sys
import time

from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

STEP_TIMEOUT = 15.0
FIRST_TEXT = "Hello from a real browser"

# The messages the widget shows: [{id, direction, state, text}], in page order.
MESSAGES_JS = """
return Array.from(document.querySelectorAll('#inbox-chat-log .inbox-chat-message')).map(function (el) {
  var text = el.querySelector('.inbox-chat-text');
  return {id: el.getAttribute('data-id'), direction: el.getAttribute('data-direction'),
          state: el.getAttribute('data-state'), text: text ? text.textContent : null};
});
"""


class Failure(Exception):
    pass


def say(line: str) -> None:
    print(line, flush=True)


class Stdin:
    """Lines from the test with a deadline (a test that never answers must not hang us)."""

    def __init__(self) -> None:
        self.buffer = b""

    def line(self, timeout: float = STEP_TIMEOUT) -> str:
        deadline = time.monotonic() + timeout
        while b"\n" not in self.buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise Failure(f"no line from the test within {timeout:.0f} s")
            ready, _, _ = select.select([sys.stdin.fileno()], [], [], left)
            if ready:
                chunk = os.read(sys.stdin.fileno(), 65536)
                if not chunk:
                    raise Failure("the test closed stdin")
                self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\n", 1)
        return line.decode("utf-8").rstrip("\r")


def wait_for(driver, what: str, condition, timeout: float = STEP_TIMEOUT, poll: float = 0.05):
    try:
        return WebDriverWait(driver, timeout, poll_frequency=poll).until(lambda d: condition(d))
    except WebDriverException as error:
        raise Failure(f"timed out after {timeout:.0f} s waiting for {what} ({type(error).__name__})") from None


def messages(driver) -> list:
    return driver.execute_script(MESSAGES_JS) or []


def find_message(driver, text: str, direction: str):
    for message in messages(driver):
        if message["text"] == text and message["direction"] == direction:
            return message
    return None


def open_chat(driver) -> None:
    """Clicks the launcher (once the widget has started) and waits for the panel and input."""
    launcher = wait_for(
        driver,
        "the launcher",
        lambda d: next((e for e in d.find_elements(By.ID, "inbox-chat-launcher") if e.is_displayed()), None),
    )
    if launcher.get_attribute("aria-expanded") != "true":
        launcher.click()
    wait_for(driver, "the panel", lambda d: d.find_element(By.ID, "inbox-chat-panel").is_displayed())
    wait_for(driver, "the message field", lambda d: d.find_element(By.ID, "inbox-chat-input").is_displayed())
    focused = driver.execute_script("return document.activeElement && document.activeElement.id")
    if focused != "inbox-chat-input":
        raise Failure(f"opening the panel did not focus the message field (focus on {focused!r})")


def visitor_id(driver) -> str:
    value = driver.execute_script("return window.InboxChat ? window.InboxChat.visitorId() : null")
    if not value:
        raise Failure("window.InboxChat.visitorId() is empty")
    return value


def wait_for_both(driver, reply: str, what: str) -> None:
    wait_for(
        driver,
        f"both messages in {what}",
        lambda d: find_message(d, FIRST_TEXT, "visitor") is not None and find_message(d, reply, "agent") is not None,
    )


def panel_fills_window(driver) -> bool:
    geometry = driver.execute_script(
        "var r = document.getElementById('inbox-chat-panel').getBoundingClientRect();"
        "return {width: r.width, height: r.height, viewportWidth: window.innerWidth,"
        " viewportHeight: window.innerHeight};"
    )
    return (
        geometry["viewportWidth"] < 480
        and geometry["width"] >= geometry["viewportWidth"] - 1
        and geometry["height"] >= geometry["viewportHeight"] - 1
    )


def screenshot(driver, name: str) -> str:
    directory = os.environ.get("SCREENSHOT_DIR") or "."
    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, name)
    if not driver.save_screenshot(path):
        raise Failure(f"could not write the screenshot {path}")
    return path


def start_browser():
    options = Options()
    options.binary_location = "/usr/bin/chromium"
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,900", "--lang=en-GB"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    driver.set_page_load_timeout(STEP_TIMEOUT)
    driver.set_script_timeout(STEP_TIMEOUT)
    driver.set_window_size(1280, 900)
    return driver


def run(driver, stdin: Stdin, demo_url: str) -> None:
    # 1. Send a message.
    driver.get(demo_url)
    open_chat(driver)
    field = driver.find_element(By.ID, "inbox-chat-input")
    field.send_keys(FIRST_TEXT)
    field.send_keys(Keys.ENTER)
    wait_for(
        driver,
        "the message to be sent",
        lambda d: (find_message(d, FIRST_TEXT, "visitor") or {}).get("state") == "sent",
    )
    if field.get_attribute("value") != "":
        raise Failure("the message field was not emptied after sending")
    visitor = visitor_id(driver)
    say(f"SENT {visitor}")

    # 1b. The agent types: the widget says so.
    line = stdin.line()
    if line != "TYPING?":
        raise Failure(f"expected TYPING?, got {line!r}")
    started = time.monotonic()
    while "is typing" not in (driver.find_element(By.ID, "inbox-chat-typing").text or ""):
        if time.monotonic() - started > 5:
            raise Failure("the agent's typing indicator did not appear within 5 s")
        time.sleep(0.02)
    say(f"TYPING_SHOWN {driver.find_element(By.ID, 'inbox-chat-typing').text}")

    # 2. The agent's reply appears live, as text.
    line = stdin.line()
    if not line.startswith("REPLYING "):
        raise Failure(f"expected REPLYING <text>, got {line!r}")
    reply = line[len("REPLYING ") :]
    started = time.monotonic()
    while find_message(driver, reply, "agent") is None:
        if time.monotonic() - started > 5:
            raise Failure(f"the reply did not appear within 5 s; the widget shows {messages(driver)!r}")
        time.sleep(0.02)
    say(f"SEEN_REPLY {round((time.monotonic() - started) * 1000)}")
    hostile = driver.execute_script(
        "return {xss: typeof window.__xss !== 'undefined',"
        " images: document.querySelectorAll('#inbox-chat-panel img').length,"
        " bold: document.querySelectorAll('#inbox-chat-log b').length}"
    )
    if hostile["xss"] or hostile["images"] or hostile["bold"]:
        raise Failure(f"xss: the reply was parsed as HTML ({hostile!r})")
    say("XSS_OK")

    # 3. A screenshot for the README.
    say(f"SCREENSHOT {screenshot(driver, 'webchat-widget.png')}")

    # 4. A second tab of the same visitor.
    first_tab = driver.current_window_handle
    driver.switch_to.new_window("tab")
    driver.get(demo_url)
    open_chat(driver)
    wait_for_both(driver, reply, "the second tab")
    if visitor_id(driver) != visitor:
        raise Failure(f"the second tab is another visitor ({visitor_id(driver)} instead of {visitor})")
    say("TAB2_OK")

    # 5. A reload resumes the conversation.
    driver.switch_to.window(first_tab)
    driver.refresh()
    open_chat(driver)
    wait_for_both(driver, reply, "the reloaded tab")
    if visitor_id(driver) != visitor:
        raise Failure(f"the reload started another visitor ({visitor_id(driver)} instead of {visitor})")
    say("RELOAD_OK")

    # 6. A phone: the open panel fills the screen.
    driver.set_window_size(390, 844)
    wait_for(driver, "the panel to fill a phone-sized window", panel_fills_window, timeout=5)
    say(f"SCREENSHOT {screenshot(driver, 'webchat-widget-phone.png')}")
    line = stdin.line()
    if line != "DELIVERY?":
        raise Failure(f"expected DELIVERY?, got {line!r}")
    # The panel is open on a visible page, so the widget has acknowledged the reply as read;
    # give the state change a moment to come back through the stream, then report what is shown.
    deadline = time.monotonic() + 5
    while (find_message(driver, reply, "agent") or {}).get("state") != "read" and time.monotonic() < deadline:
        time.sleep(0.05)
    message = find_message(driver, reply, "agent")
    if message is None:
        raise Failure("the reply is no longer shown")
    say(f"STATES {message['state']}")
    say("DONE")


def console_log(driver) -> str:
    try:
        entries = driver.get_log("browser")
    except Exception:  # noqa: BLE001 - the log is a diagnostic, never the failure itself
        return ""
    return " | ".join(f"{e.get('level')}: {e.get('message')}" for e in entries)[-4000:]


def main() -> int:
    demo_url = os.environ.get("CHAT_DEMO_URL")
    if not demo_url:
        say("FAIL CHAT_DEMO_URL is not set")
        return 1
    driver = None
    try:
        driver = start_browser()
        run(driver, Stdin(), demo_url)
        return 0
    except Failure as failure:
        reason = str(failure)
    except Exception as error:  # noqa: BLE001 - every failure must reach the test as a FAIL line
        reason = f"{type(error).__name__}: {error}".replace("\n", " ")
    finally:
        log = console_log(driver) if driver else ""
        if driver:
            try:
                driver.quit()
            except Exception:  # noqa: BLE001 - the browser is going away either way
                pass
    say(f"FAIL {reason}" + (f" -- console: {log}" if log else ""))
    return 1


if __name__ == "__main__":
    sys.exit(main())
