#!/usr/bin/env python3
"""Fills a maracd form page (docs/forms.md, "Forms agencies fill in") in headless Chromium
through Selenium, as a practitioner would: field by field from a form file's values.

    fill_form.py JOBS.json DOWNLOADS

JOBS.json is a list of {"page", "form", "save"}: each page is loaded afresh and filled with
the form file's values. Prints a JSON list, one object a job: "filled" (false, with "missing": the first path the page has no
field for, when the form cannot be entered through the page), "problems" (the JSON paths
the page shows), "json" (what the page would save), "storage" (what the browser kept:
local and session storage items, cookies), "console" (the browser's error messages) and,
with "save", "saved" (the downloaded file's path). FormPagesBrowserTests runs it.
Needs python3-selenium (or selenium from PyPI), chromium and chromedriver."""
import json
import os
import re
import sys
import time

from selenium import webdriver
from selenium.common.exceptions import NoSuchElementException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select


def key(path, name):
    return path + ("." + name if re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", name) else '["' + name + '"]')


class Missing(Exception):
    pass


def field(driver, path, css=""):
    found = driver.find_elements(By.CSS_SELECTOR, "%s[data-path='%s']" % (css, path))
    if not found:
        raise Missing(path)
    return found


def fill(driver, value, path, top=True):
    if isinstance(value, dict):
        for name, member in value.items():
            if path == "$" and name in ("form", "formVersion"):
                continue
            fixed = driver.execute_script("return JSON.parse(document.getElementById('config').textContent).agency || null")
            if path == "$" and name in ("agency", "referringAgency") and fixed is not None:
                if member != fixed:
                    raise Missing(key(path, name) + " (the page is " + fixed + "'s)")
                continue  # fixed by the page to its outbox's agency
            fill(driver, member, key(path, name), False)
    elif isinstance(value, list):
        boxes = driver.find_elements(By.CSS_SELECTOR, "input[type=checkbox][data-path='%s']" % path)
        lines = driver.find_elements(By.CSS_SELECTOR, "textarea[data-path='%s']" % path)
        if boxes:
            offered = {box.get_attribute("value"): box for box in boxes}
            for code in value:
                if code not in offered:
                    raise Missing(path + " (" + str(code) + ")")
                offered[code].click()
        elif lines:
            lines[0].send_keys("\n".join(value))
        else:
            adds = driver.find_elements(By.CSS_SELECTOR, "button[data-add='%s']" % path)
            if value and not adds:
                raise Missing(path)
            add = adds[0] if adds else None
            for i, item in enumerate(value):
                add.click()
                fill(driver, item, "%s[%d]" % (path, i), False)
    else:
        control = field(driver, path)[0]
        if control.tag_name == "select":
            text = ("true" if value else "false") if isinstance(value, bool) else str(value)
            options = [o.get_attribute("value") for o in control.find_elements(By.TAG_NAME, "option")]
            if text not in options:
                raise Missing(path + " (" + text + ")")
            Select(control).select_by_value(text)
        else:
            if control.get_attribute("readonly"):
                raise Missing(path + " (read-only)")
            control.clear()
            control.send_keys(str(value))


def run(driver, page, form_path, downloads, save):
    result = {"page": page, "form": form_path}
    driver.get("file://" + os.path.abspath(page))
    with open(form_path, encoding="utf-8") as f:
        form = json.load(f)
    try:
        fill(driver, form, "$")
        result["filled"] = True
    except Missing as missing:
        result["filled"] = False
        result["missing"] = str(missing)
    result["problems"] = [li.get_attribute("data-problem-path") for li in driver.find_elements(By.CSS_SELECTOR, "#problems li")]
    result["messages"] = [li.text for li in driver.find_elements(By.CSS_SELECTOR, "#problems li")]
    result["json"] = json.loads(driver.execute_script("return document.getElementById('json').textContent"))
    result["dash"] = driver.execute_script("var d = document.getElementById('dash-count'); return d ? d.textContent : null")
    result["saveEnabled"] = driver.find_element(By.ID, "save").is_enabled()
    if save and result["filled"] and not result["problems"]:
        before = set(os.listdir(downloads))
        driver.find_element(By.ID, "save").click()
        deadline = time.time() + 20
        while time.time() < deadline:
            new = [n for n in set(os.listdir(downloads)) - before if not n.endswith(".crdownload") and not n.startswith(".")]
            if new:
                result["saved"] = os.path.join(downloads, new[0])
                break
            time.sleep(0.05)
        result["savedNote"] = driver.find_element(By.ID, "saved").text
    result["storage"] = driver.execute_script(
        "var n = 0; try { n = window.localStorage.length + window.sessionStorage.length; } catch (e) {} return [n, document.cookie];")
    result["console"] = [entry["message"] for entry in driver.get_log("browser") if entry["level"] in ("SEVERE", "WARNING")]
    return result


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        jobs = json.load(f)
    downloads = sys.argv[2]
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"):
        options.add_argument(flag)
    options.add_experimental_option("prefs", {"download.default_directory": downloads, "download.prompt_for_download": False})
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    try:
        results = [run(driver, job["page"], job["form"], downloads, job.get("save", False)) for job in jobs]
    finally:
        driver.quit()
    print(json.dumps(results))


if __name__ == "__main__":
    main()
