from tests import factories


def test_landing_page_links_to_the_three_surfaces(client):
    page = client.get("/")
    assert page.status_code == 200
    for href in ('href="/console"', 'href="/app"', 'href="/staff"'):
        assert href in page.text


def test_services_round_trip_on_the_real_database(session):
    acc = factories.account(session)
    assert acc.basic_id.startswith("@") and acc.badge == "gray" and acc.package == "free"
