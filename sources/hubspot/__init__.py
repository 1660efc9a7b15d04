"""HubSpot CRM objects (contacts, companies, deals) through the CRM v3 API."""
