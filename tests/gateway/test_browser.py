"""The rating page in a real headless Chromium: open /ui, rate an answer, check the store."""

from __future__ import annotations

import shutil

import pytest

from afs.feedback import FeedbackCollector, InferenceLogger
from afs.gateway.app import ModelPool, create_app

from .conftest import start_gateway

webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
pytestmark = pytest.mark.skipif(
    not (CHROMIUM and CHROMEDRIVER),
    reason="needs Debian's chromium and chromium-driver (make test installs them as root)",
)


@pytest.fixture
def browser():
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()


def test_rate_an_answer_in_the_browser(tmp_path, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    logger = InferenceLogger(tmp_path / "log")
    record_id = logger.log(prompt="Optimize: LDA #$00 / STA $10", response="STZ $10",
                           model="din")
    logger.log(prompt="Explain STZ", response="stores zero", model="veran")
    app = create_app(logger, models=ModelPool(lambda a: None, []))
    for running in start_gateway(app, logger):
        browser.get(f"{running.url}/ui")
        wait = WebDriverWait(browser, 20)
        item = wait.until(ec.element_to_be_clickable(
            (By.CSS_SELECTOR, f'.item[data-id="{record_id}"]')))
        item.click()
        wait.until(ec.text_to_be_present_in_element((By.ID, "answer"), "STZ $10"))
        browser.find_element(By.ID, "correction").send_keys("STZ $10 ; saves 2 cycles")
        browser.find_element(By.ID, "thumbs-up").click()
        wait.until(ec.text_to_be_present_in_element((By.ID, "status"), "saved"))

        # Search narrows the list to the matching exchange.
        box = browser.find_element(By.ID, "query")
        box.send_keys("Explain")
        browser.find_element(By.ID, "search").click()
        wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, ".item")) == 1)

    vote = FeedbackCollector(logger).latest(record_id)
    assert vote is not None
    assert (vote.score, vote.correction, vote.source) == (1.0, "STZ $10 ; saves 2 cycles",
                                                          "gateway")
