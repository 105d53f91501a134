"""The person's profile page and /app/api/me: public details, image, private attributes (R-FRD-01, R-FRD-04)."""

from __future__ import annotations

import re

from openoa.core.images import MAX_UPLOAD_BYTES
from tests.web.chatapp.conftest import PASSWORD, png_bytes

FULL = {"display_name": "Mali S.", "status_message": "Coffee first", "gender": "female",
        "birth_year": "1990", "area": "th_01", "os": "ios"}


def save(client, fields: dict[str, str], image: bytes | None = None, name: str = "me.png"):  # type: ignore[no-untyped-def]
    files = {"image": (name, image if image is not None else b"", "application/octet-stream")}
    return client.post("/app/profile", data=fields, files=files, follow_redirects=False)


def test_profile_page_anonymous_redirects_to_login(client):
    response = client.get("/app/profile", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/app/login?next=/app/profile"


def test_profile_page_shows_the_form_and_explains_private_attributes(me):
    page = me.get("/app/profile")
    assert page.status_code == 200
    assert page.text.count("<h1>") == 1
    assert "only used in aggregate" in page.text
    assert 'enctype="multipart/form-data"' in page.text
    for name in ("display_name", "status_message", "image", "gender", "birth_year", "area", "os"):
        assert f'<label for="f-{name}">' in page.text, name
    assert 'value="Mali"' in page.text
    assert 'aria-current="page"' in page.text and 'href="/app/profile" aria-current="page"' in page.text


def test_profile_area_list_puts_thai_areas_first(me):
    page = me.get("/app/profile").text
    area_select = page[page.index('id="f-area"'):]
    options = re.findall(r'<option value="([^"]*)"', area_select)
    assert options[0] == ""  # "Not set"
    assert options[1:9] == [f"th_0{n}" for n in range(1, 9)]
    assert "jp_01" in options and "Bangkok" in area_select


def test_saving_the_profile_page_stores_every_field(me, png):
    response = save(me, FULL, png)
    assert response.status_code == 303 and response.headers["location"] == "/app/profile?saved=1"
    data = me.get("/app/api/me").json()
    assert {k: data[k] for k in ("display_name", "status_message", "gender", "area", "os")} == {
        "display_name": "Mali S.", "status_message": "Coffee first", "gender": "female", "area": "th_01",
        "os": "ios"}
    assert data["birth_year"] == 1990
    assert data["profile_image_url"].startswith("/media/")
    image = me.get(data["profile_image_url"])
    assert image.status_code == 200 and image.headers["content-type"] == "image/png"
    page = me.get("/app/profile?saved=1").text
    assert "Your profile is saved." in page
    assert f'src="{data["profile_image_url"]}"' in page and 'alt="Your current profile image"' in page
    assert '<option value="th_01" selected>' in page


def test_saving_without_a_new_image_keeps_the_old_one(me, png):
    save(me, FULL, png)
    before = me.get("/app/api/me").json()["profile_image_url"]
    assert save(me, {**FULL, "status_message": "Tea now"}).status_code == 303
    after = me.get("/app/api/me").json()
    assert after["profile_image_url"] == before and after["status_message"] == "Tea now"


def test_empty_private_attributes_clear_them(me):
    save(me, FULL)
    assert save(me, {**FULL, "gender": "", "birth_year": "", "area": "", "os": ""}).status_code == 303
    data = me.get("/app/api/me").json()
    assert (data["gender"], data["birth_year"], data["area"], data["os"]) == (None, None, None, None)


def assert_refused(response, field: str, text: str) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == 400, response.status_code
    assert f'id="f-{field}-error"' in response.text
    assert text in response.text
    assert re.search(rf'id="f-{field}"[^>]*aria-invalid="true"', response.text), field
    assert "Nothing was saved." in response.text


def test_impossible_birth_years_are_refused_and_nothing_is_saved(me):
    for year, text in (("2027", "cannot be in the future"), ("1800", "cannot be before 1906"),
                       ("nineteen", "Enter the year as a number")):
        response = save(me, {**FULL, "birth_year": year})
        assert_refused(response, "birth_year", text)
        assert f'value="{year}"' in response.text  # what was typed comes back
    data = me.get("/app/api/me").json()
    assert data["display_name"] == "Mali" and data["gender"] is None and data["status_message"] == ""


def test_oldest_possible_birth_year_is_accepted(me):
    assert save(me, {**FULL, "birth_year": "1906"}).status_code == 303
    assert me.get("/app/api/me").json()["birth_year"] == 1906


def test_unknown_gender_area_or_os_is_refused(me):
    assert_refused(save(me, {**FULL, "gender": "robot"}), "gender", "Choose male or female")
    assert_refused(save(me, {**FULL, "area": "zz_99"}), "area", "Choose an area from the list.")
    assert_refused(save(me, {**FULL, "os": "symbian"}), "os", "Choose iOS, Android or other.")
    assert me.get("/app/api/me").json()["display_name"] == "Mali"


def test_bad_display_name_and_status_message_are_refused(me):
    assert_refused(save(me, {**FULL, "display_name": " "}), "display_name", "Enter a display name.")
    assert_refused(save(me, {**FULL, "display_name": "x" * 21}), "display_name", "at most 20")
    assert_refused(save(me, {**FULL, "status_message": "x" * 501}), "status_message", "at most 500")


def test_oversized_and_non_image_uploads_are_refused_next_to_the_field(me):
    big = b"\x89PNG\r\n\x1a\n" + b"\0" * MAX_UPLOAD_BYTES
    assert_refused(save(me, FULL, big, "big.png"), "image", "larger than 5 MB")
    assert_refused(save(me, FULL, b"just some text", "notes.png"), "image", "not an image")
    data = me.get("/app/api/me").json()
    assert data["profile_image_url"] is None and data["display_name"] == "Mali"


def test_profile_page_never_echoes_the_password(me):
    assert PASSWORD not in me.get("/app/profile").text


# ------------------------------------------------------------------ JSON

def test_api_me_shows_the_person_their_own_profile(me):
    data = me.get("/app/api/me").json()
    assert data["email"] == "mali@example.com" and data["display_name"] == "Mali"
    assert set(data) >= {"gender", "birth_year", "area", "os"}


def test_api_patch_changes_only_the_fields_sent(me):
    response = me.patch("/app/api/me", json={"gender": "male", "birth_year": 1985, "area": "th_07", "os": "android"})
    assert response.status_code == 200
    assert response.json()["area"] == "th_07"
    response = me.patch("/app/api/me", json={"status_message": "Hello"})
    data = response.json()
    assert (data["gender"], data["birth_year"], data["area"], data["os"], data["status_message"]) == (
        "male", 1985, "th_07", "android", "Hello")
    cleared = me.patch("/app/api/me", json={"gender": "", "birth_year": None}).json()
    assert cleared["gender"] is None and cleared["birth_year"] is None and cleared["area"] == "th_07"


def test_api_patch_with_one_bad_field_changes_nothing(me):
    for body, field in (({"display_name": "New", "birth_year": 2027}, "birth_year"),
                        ({"display_name": "New", "birth_year": 1800}, "birth_year"),
                        ({"display_name": "New", "gender": "other"}, "gender"),
                        ({"display_name": "New", "area": "nowhere"}, "area"),
                        ({"display_name": "New", "os": "palm"}, "os")):
        response = me.patch("/app/api/me", json=body)
        assert response.status_code == 400, body
        assert [d["property"] for d in response.json()["details"]] == [field]
    not_a_number = me.patch("/app/api/me", json={"display_name": "New", "birth_year": "soon"})
    assert not_a_number.status_code == 400
    assert not_a_number.json()["details"][0]["property"] == "birth_year"
    assert me.get("/app/api/me").json()["display_name"] == "Mali"


def test_api_image_upload_stores_a_png(me):
    response = me.post("/app/api/me/image", files={"image": ("me.jpg", png_bytes(900, 600), "image/jpeg")})
    assert response.status_code == 200
    url = response.json()["profile_image_url"]
    assert url.startswith("/media/") and url.endswith(".png")
    assert me.get(url).headers["content-type"] == "image/png"


def test_api_image_upload_refuses_oversized_empty_and_non_images(me):
    big = b"\xff\xd8\xff" + b"\0" * MAX_UPLOAD_BYTES
    for content, text in ((big, "larger than 5 MB"), (b"%PDF-1.4 not an image", "not an image"),
                          (b"", "Choose an image")):
        response = me.post("/app/api/me/image", files={"image": ("x.jpg", content, "image/jpeg")})
        assert response.status_code == 400
        assert response.json()["details"][0]["property"] == "image"
        assert text in response.json()["details"][0]["message"]
    assert me.get("/app/api/me").json()["profile_image_url"] is None


def test_r_frd_04_no_one_sees_another_persons_private_attributes(me, other_client, cafe):
    me.patch("/app/api/me", json={"gender": "female", "birth_year": 1987, "area": "th_05", "os": "ios",
                                  "status_message": "Mali's status"})
    other_client.post("/app/api/signup", json={"email": "k@example.com", "password": PASSWORD,
                                               "display_name": "Kiet"})
    mine = other_client.get("/app/api/me").json()
    assert mine["display_name"] == "Kiet" and mine["gender"] is None and mine["area"] is None
    for path in ("/app/profile", "/app", f"/app/find?basic_id={cafe.basic_id}", f"/add/{cafe.basic_id}"):
        page = other_client.get(path).text
        assert "mali@example.com" not in page and "1987" not in page, path
        assert 'value="th_05" selected' not in page and 'value="female" selected' not in page, path
        assert "Mali" not in page, path
