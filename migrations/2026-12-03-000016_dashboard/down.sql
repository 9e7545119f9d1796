DROP TABLE dashboard_tickets;
